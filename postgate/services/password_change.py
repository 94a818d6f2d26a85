"""Changing a password: by its owner (the current password and a TOTP code), or on the
server by whoever runs ``postgate`` (who holds the keys already).

The owner's change is checked in an order that gives a thief nothing: the new password's
policy first (it says nothing about the account, and a refusal must not spend the code: the
API checks it while parsing the body, the page before the step-up), then the TOTP code,
which the caller proves before this runs (``sessions.step_up`` with ``fresh``), and only
then the current password,
so a stolen session without the authenticator can never learn whether a guessed password is
right. ASVS 7.4.3: the owner chooses whether their other sessions and tokens end (the default);
a change made on the server ends them all unless told otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from postgate import passwords
from postgate.audit import Event
from postgate.errors import NotAuthenticated, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.sessions import revoke_all_tokens
from postgate.services.users import find_user
from postgate.store.models import User


@dataclass(frozen=True)
class PasswordChange:
    username: str
    sessions_ended: int
    password: str | None = None  # shown once when the server generated it

    def to_dict(self) -> dict[str, object]:
        return {"username": self.username, "sessions_ended": self.sessions_ended}


def check_new_password(user: User, new: str) -> None:
    """Refuse a new password the policy refuses (before any code is spent on it)."""
    if not new:
        raise ValidationFailed("the new password is missing", field="new_password")
    try:
        passwords.check_policy(new, user.username)
    except ValidationFailed as exc:
        exc.field = "new_password"
        raise


def change_own_password(
    rt: Runtime,
    user_id: int,
    current: str,
    new: str,
    *,
    keep_token: int | None,
    end_others: bool,
    source: str = "",
) -> PasswordChange:
    """The owner's change, once their code is proven: the current password must match (a
    refusal is audited, in a transaction of its own since the change rolls back)."""
    with rt.store.transaction() as db:
        user = db.get(User, user_id)
        if user is None or user.disabled:
            raise NotAuthenticated("the token is unknown, expired or revoked")
        check_new_password(user, new)
        right = bool(current) and passwords.verify_password(user.password_hash, current)
        if right:
            return _change(rt, db, user, new, keep_token, end_others, source)
        username = user.username
    with rt.store.transaction() as db:
        rt.audit(
            db,
            Event.USER_PASSWORD,
            actor=username,
            target=f"user:{username}",
            details={"reason": "wrong current password"},
            source=source,
            result="refused",
        )
    raise ValidationFailed("the current password is wrong", field="current_password")


def _change(
    rt: Runtime,
    db: Session,
    user: User,
    new: str,
    keep_token: int | None,
    end_others: bool,
    source: str,
) -> PasswordChange:
    if passwords.verify_password(user.password_hash, new):
        raise ValidationFailed(
            "the new password must differ from the current one", field="new_password"
        )
    user.password_hash = passwords.hash_password(new)
    ended = revoke_all_tokens(db, [user.id], keep=keep_token) if end_others else 0
    rt.audit(
        db,
        Event.USER_PASSWORD,
        actor=user.username,
        target=f"user:{user.username}",
        details={"by": "owner", "sessions_ended": ended},
        source=source,
    )
    return PasswordChange(user.username, ended)


def set_password(
    rt: Runtime,
    db: Session,
    username: str,
    new: str | None,
    *,
    actor: str,
    end_sessions: bool = True,
    source: str = "",
) -> PasswordChange:
    """Set ``username``'s password on the server (generated when ``new`` is None)."""
    user = find_user(db, username)
    generated = new is None
    new = passwords.generate_password() if new is None else new
    check_new_password(user, new)
    user.password_hash = passwords.hash_password(new)
    ended = revoke_all_tokens(db, [user.id]) if end_sessions else 0
    rt.audit(
        db,
        Event.USER_PASSWORD,
        actor=actor,
        target=f"user:{user.username}",
        details={"by": actor, "sessions_ended": ended},
        source=source,
    )
    return PasswordChange(user.username, ended, new if generated else None)
