"""The JSON API under ``/api/v1``: one blueprint per concern, authenticated by bearer token."""

from __future__ import annotations

from flask import Blueprint, g, request

from gateway.context import rt
from postgate.services import sessions

api = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.session.create_session"}


@api.before_request
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


def _register() -> None:
    from gateway.api import accounts, audit, freeze, posts, session, takedowns, users

    for module in (session, posts, users, accounts, freeze, takedowns, audit):
        api.register_blueprint(module.bp)


_register()
