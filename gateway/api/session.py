"""``/api/v1/session`` and the caller's own tokens."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.access import caller, current_token
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Body, Limited, Otp, SteppedUp, Text, code_of, column_length
from gateway.context import rt, source_address
from postgate.services import sessions
from postgate.store.models import AuthToken

bp = ApiBlueprint("session", __name__, tag="session")


class Login(Body):
    # Not bounded by its column: a name no user has is an ordinary failed login (401), the
    # same answer as any other, which the audit records cut to its column.
    username: Text
    password: Text
    otp: Otp | None = None


class TokenRequest(SteppedUp):
    name: Limited(column_length(AuthToken.name))  # type: ignore[valid-type]
    days: int | None = Field(
        default=None, ge=1, le=365, description="How long it lives: 1 to 365 days."
    )


@bp.operation(
    "POST",
    "/session",
    body=Login,
    public=True,
    answers={201: answers.Session},
    errors=(401, 429),
)
def create_session(body: Login) -> tuple[dict[str, Any], int]:
    """Log in with a user name, a password and a TOTP code (or a recovery code). Every
    failure answers the same 401, whichever part was wrong."""
    issued = sessions.login(
        rt(), body.username, body.password, code_of(body.otp), source=source_address()
    )
    return {"token": issued.value, "expires_at": issued.token.expires_at.isoformat()}, 201


@bp.operation("DELETE", "/session", answers={204: None})
def delete_session() -> tuple[None, int]:
    """Log out: the token of this request stops working."""
    token = current_token()
    with rt().store.transaction() as db:
        live = db.get(AuthToken, token.id) if token is not None else None
        if live is not None:
            sessions.logout(rt(), db, caller(db), live, source=source_address())
    return None, 204


@bp.operation("GET", "/tokens", answers={200: answers.TokenList})
def list_tokens() -> dict[str, Any]:
    """The caller's own live sessions and API tokens."""
    with rt().store.session() as db:
        tokens = sessions.list_tokens(db, caller(db))
        current = current_token()
        return {
            "tokens": [
                {**sessions.token_to_dict(t), "current": current is not None and t.id == current.id}
                for t in tokens
            ]
        }


@bp.operation("POST", "/tokens", body=TokenRequest, fresh=True, answers={201: answers.NewToken})
def create_token(body: TokenRequest) -> tuple[dict[str, Any], int]:
    """A named API token, for a script: shown this once. It needs a TOTP code in this very
    request: a session stolen after its login cannot mint a token that outlives it."""
    with rt().store.transaction() as db:
        issued = sessions.create_api_token(
            rt(), db, caller(db), body.name, body.days, source=source_address()
        )
        return {**sessions.token_to_dict(issued.token), "token": issued.value}, 201


@bp.operation("DELETE", "/tokens/<id:token_id>", answers={204: None})
def revoke_token(token_id: int) -> tuple[None, int]:
    """End one of the caller's own sessions or tokens."""
    with rt().store.transaction() as db:
        sessions.revoke_token(rt(), db, caller(db), token_id, source=source_address())
    return None, 204
