"""Cutting a user off at once: the security lead's answer to a lost laptop or a leaver.

Disabling the user and ending their tokens happen in one transaction with voiding their
approvals and the audit entry. Every request looks its token up in the store again, so the
revocation bites on the very next request in every web process.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict
from postgate.runtime import Runtime
from postgate.services.approvals import void_approvals_of_reviewer
from postgate.services.enrollment import discard_pending
from postgate.services.sessions import revoke_all_tokens
from postgate.services.users import find_user
from postgate.store.models import User


@dataclass(frozen=True)
class Revocation:
    username: str
    tokens_ended: int
    approvals_voided: int

    def to_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "disabled": True,
            "tokens_ended": self.tokens_ended,
            "approvals_voided": self.approvals_voided,
        }


def revoke_user(
    rt: Runtime, db: Session, username: str, *, actor: str, source: str = ""
) -> Revocation:
    """Disable ``username``, end all their sessions and tokens, void their open approvals.

    Revoking oneself is refused: it would most often be a slip, and it could leave the
    organisation without anyone able to act.
    """
    user = find_user(db, username)
    if user.username == actor:
        raise Conflict("you cannot revoke yourself; ask another security lead or admin")
    user.disabled = True
    db.flush()
    ended = revoke_all_tokens(db, [user.id])
    voided = void_approvals_of_reviewer(rt, db, user.id, reason=f"reviewer {username} revoked")
    discard_pending(rt, user.id)
    rt.audit(
        db,
        Event.USER_REVOKE,
        actor=actor,
        target=f"user:{user.username}",
        details={"tokens_ended": ended, "approvals_voided": voided},
        source=source,
    )
    return Revocation(user.username, ended, voided)


def reinstate_user(
    rt: Runtime, db: Session, username: str, *, actor: str, source: str = ""
) -> User:
    """Enable a revoked user again (an admin's decision, with 2FA, audited).

    Their credentials are as they were: when the revocation was for a stolen password or
    authenticator, reset those too. The approvals voided by the revocation stay void.
    """
    user = find_user(db, username)
    if not user.disabled:
        raise Conflict("{name!r} is not revoked", field="username", name=user.username)
    user.disabled = False
    rt.audit(
        db,
        Event.USER_ENABLE,
        actor=actor,
        target=f"user:{user.username}",
        details={},
        source=source,
    )
    return user
