"""The JSON API under ``/api/v1``: one blueprint per concern, authenticated by bearer token.

The app factory (``gateway.create_app``) nests the concerns' blueprints in the one made by
:func:`api_blueprint`, so their endpoints read ``api.<concern>.<view>``. Each route is
declared with ``ApiBlueprint.operation`` (``gateway.api.operations``), which is also what
``/api/v1/openapi.json`` is made from; docs/api.md says how to add one.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.routing import BaseConverter, IntegerConverter

from gateway.api.bearer import sign_in
from gateway.api.operations import operation_of
from gateway.context import rt
from postgate.services import sessions
from postgate.store.types import INT_MAX

PREFIX = "/api/v1"


class RowId(IntegerConverter):
    """``<id:...>``: a row id. Only ``bounds`` (1 to 2^31 - 1) can exist in the store; the
    declaration (``Operation.run``) answers 404 for the others, like any id that does not
    exist, before a database driver overflows on them. The converter itself takes any
    digits: one that refused some would make Werkzeug answer 405 instead, naming methods
    of the same path that would have refused them too."""

    bounds = (1, INT_MAX)


class Name(BaseConverter):
    """``<name:...>``: a user or account name in a path, 1 to 64 characters (the columns'
    length) without a slash; a longer one is a 404, since no such name can exist. A NUL
    character is refused at the door (``gateway.inputs``)."""

    regex = r"[^/]{1,64}"


CONVERTERS = {"id": RowId, "name": Name}


def authenticate() -> None:
    """Look the bearer token up again on every request: a revocation bites at once. An
    operation declared with ``transaction=True`` does it in the view's own transaction
    (``gateway.api.bearer``)."""
    assert request.endpoint is not None  # a blueprint's hook runs for its own routes only
    declared = operation_of(current_app.view_functions[request.endpoint])
    if declared is not None and (declared.public or declared.transaction):
        return
    # One transaction, as measured cheapest on PostgreSQL: a read session of its own
    # (``Store.session``) cost the server twice the CPU per request, for its rollback.
    with rt().store.transaction() as db:
        token = sign_in(db)
        sessions.touch(db, token)
        db.expunge_all()


def api_blueprint() -> Blueprint:
    """A fresh ``/api/v1`` blueprint holding every concern of the API, for one app (whose URL
    map learns the ``id`` and ``name`` converters before the concerns' routes are added)."""
    from gateway.api import (
        accounts,
        alerts,
        audit,
        collab,
        enrol,
        freeze,
        media,
        notifications,
        openapi,
        posts,
        rules,
        session,
        takedowns,
        users,
        zone,
    )

    api = Blueprint("api", __name__, url_prefix=PREFIX)
    api.record_once(lambda state: state.app.url_map.converters.update(CONVERTERS))
    api.before_request(authenticate)
    for concern in (
        session,
        enrol,
        media,
        collab,
        posts,
        users,
        accounts,
        freeze,
        takedowns,
        alerts,
        audit,
        notifications,
        rules,
        zone,
        openapi,
    ):
        api.register_blueprint(concern.bp)
    return api
