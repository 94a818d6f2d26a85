"""``/api/v1/session`` and the caller's own tokens."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from gateway.access import caller, current_token
from gateway.api.body import field, json_body, otp_of, step_up
from gateway.context import rt, source_address
from postgate.services import sessions
from postgate.store.models import AuthToken

bp = Blueprint("session", __name__)


@bp.post("/session")
def create_session() -> ResponseReturnValue:
    data = json_body()
    issued = sessions.login(
        rt(),
        field(data, "username"),
        field(data, "password"),
        otp_of(data),
        source=source_address(),
    )
    return jsonify({"token": issued.value, "expires_at": issued.token.expires_at.isoformat()}), 201


@bp.delete("/session")
def delete_session() -> ResponseReturnValue:
    token = current_token()
    with rt().store.transaction() as db:
        live = db.get(AuthToken, token.id) if token is not None else None
        if live is not None:
            sessions.logout(rt(), db, caller(db), live, source=source_address())
    return "", 204


@bp.get("/tokens")
def list_tokens() -> ResponseReturnValue:
    with rt().store.session() as db:
        tokens = sessions.list_tokens(db, caller(db))
        current = current_token()
        return jsonify(
            {
                "tokens": [
                    {
                        **sessions.token_to_dict(t),
                        "current": current is not None and t.id == current.id,
                    }
                    for t in tokens
                ]
            }
        )


@bp.post("/tokens")
def create_token() -> ResponseReturnValue:
    data = json_body()
    step_up(data)
    with rt().store.transaction() as db:
        issued = sessions.create_api_token(
            rt(),
            db,
            caller(db),
            field(data, "name"),
            field(data, "days", int, required=False),
            source=source_address(),
        )
        body = {**sessions.token_to_dict(issued.token), "token": issued.value}
    return jsonify(body), 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int) -> ResponseReturnValue:
    with rt().store.transaction() as db:
        sessions.revoke_token(rt(), db, caller(db), token_id, source=source_address())
    return "", 204
