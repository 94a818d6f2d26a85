"""The JSON API under ``/api/v1``: one blueprint per concern, authenticated by bearer token.

The app factory (``gateway.create_app``) nests the concerns' blueprints in the one made by
:func:`api_blueprint`, so their endpoints read ``api.<concern>.<view>``.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from gateway.context import rt
from postgate.services import sessions

PUBLIC_ENDPOINTS = {"api.session.create_session"}


def authenticate() -> None:
    """Look the bearer token up again on every request: a revocation bites at once."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header[:7].lower() == "bearer " else None
    with rt().store.transaction() as db:
        user, token = sessions.authenticate(db, value)
        sessions.touch(db, token)
        db.expunge_all()
    g.user, g.token = user, token


def api_blueprint(*concerns: Blueprint) -> Blueprint:
    """A fresh ``/api/v1`` blueprint holding ``concerns``, for one app."""
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.before_request(authenticate)
    for concern in concerns:
        api.register_blueprint(concern)
    return api
