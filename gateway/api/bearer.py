"""Who calls the API: the bearer token, looked up again on every request.

Most endpoints authenticate in a transaction of their own, before the view runs
(``gateway.api.authenticate``). An endpoint declared with ``transaction=True``
(``gateway.api.operations``) authenticates in the view's own transaction instead: one
transaction a request, and the caller read once, in the transaction that acts for them, so a
user disabled or a token revoked before it began is refused as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from sqlalchemy.orm import Session

from gateway.context import rt
from postgate.services import sessions
from postgate.store.models import AuthToken


def bearer_value() -> str | None:
    """The token of the ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def sign_in(db: Session) -> AuthToken:
    """Authenticate this request in ``db`` (:class:`~postgate.errors.NotAuthenticated`
    otherwise) and keep the caller and token in ``g`` for the rest of the request."""
    user, token = sessions.authenticate(db, bearer_value())
    g.user, g.token = user, token
    return token


@dataclass(frozen=True)
class TokenUse:
    """What recording a token's use needs, copied while its transaction is open: by the
    time the request ends the token's row may be expired and out of any session (a flush
    that fails rolls back and expires everything the session held)."""

    token_id: int
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: AuthToken) -> TokenUse:
        return cls(token.id, token.last_used_at)


def note_use(use: TokenUse) -> None:
    """Record the token's use (at most once a minute), in a transaction of its own: run after
    the view's transaction has ended, so the token's row is never locked while the view
    waits for the audit chain's."""
    if sessions.use_due(use.last_used_at):
        with rt().store.transaction() as db:
            sessions.record_use(db, use.token_id)
