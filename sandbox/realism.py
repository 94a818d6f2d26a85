"""The realistic behaviour in use: status rendering and its control endpoint.

Reads the app's :class:`~sandbox.behaviour.Behaviour` for each request, so a test can switch
markup, idempotency memory and limits while a server runs (``PUT /sandbox/behaviour``).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.behaviour import Behaviour, updated_behaviour
from sandbox.errors import BadRequest, Invalid
from sandbox.formatting import (
    Mentioned,
    Rendered,
    Resolver,
    countable_length,
    escape,
    paragraphs,
    remote_mention,
    render,
)
from sandbox.state import current_state
from sandbox.store import validate_text

bp = Blueprint("sandbox_behaviour", __name__)


def current_behaviour() -> Behaviour:
    """The behaviour of the app handling the current request."""
    return current_state().behaviour


def validate_length(text: str) -> None:
    """Mastodon's checks on a status text, its length counted as the server counts it."""
    rules = current_behaviour()
    length = countable_length(text, rules.characters_reserved_per_url)
    validate_text(text, length, rules.max_characters)


def rendered(text: str, base: str) -> Rendered:
    """``content``, ``mentions``, ``tags`` and ``card`` of a status text, as now configured."""
    if not current_behaviour().markup:
        return Rendered(content=paragraphs(escape(text)))
    return render(text, base, _resolver(base))


def _resolver(base: str) -> Resolver:
    """Local accounts that exist, and any remote ``@user@host`` (WebFinger would find it)."""
    remote = remote_mention(base)
    store = current_state().store

    def resolve(username: str, domain: str | None) -> Mentioned | None:
        found = remote(username, domain)  # None for a local account, named with our host too
        if found is not None:
            return found
        account = store.account(username, create=False)
        if account is None:
            return None
        url = f"{base}/@{account.username}"
        return Mentioned(str(account.id), account.username, account.username, url)

    return resolve


@bp.route("/sandbox/behaviour", methods=["GET", "PUT"])
def behaviour() -> Response:
    """Read or partially update the behaviour at run time."""
    state = current_state()
    if request.method == "PUT":
        data = request.get_json(silent=True) if request.is_json else None
        if not isinstance(data, dict):
            raise BadRequest("Invalid JSON body")
        try:
            state.behaviour = updated_behaviour(state.behaviour, data)
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
    return jsonify(state.behaviour.to_json())
