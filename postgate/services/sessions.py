"""Logins, sessions, API tokens and step-up.

A bearer value is shown once and stored only as its SHA-256, so a copy of the database
opens no session. Every request looks its token up again, which is what makes a revocation
effective on the very next request in every process.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from postgate import passwords
from postgate.audit import Event
from postgate.errors import (
    NotAuthenticated,
    NotFound,
    OtpInvalid,
    OtpRequired,
    ValidationFailed,
)
from postgate.runtime import Runtime
from postgate.services import login_limits, refusals
from postgate.services.names import canonical_name
from postgate.services.otp_check import lock_error, verify_code
from postgate.store.db import rows_changed
from postgate.store.models import AuthToken, User
from postgate.store.types import utcnow

TOKEN_PREFIX = "pg_"  # noqa: S105 - a prefix, not a secret


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so their answer takes as long; made on
    first use, not at import (an argon2 hash costs ~0.1 s, and workers import this module)."""
    return passwords.hash_password("dummy password for timing equality")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedToken:
    value: str
    token: AuthToken


def _login_failed() -> NotAuthenticated:
    """The one answer to every failed login."""
    return NotAuthenticated("the user name, password or TOTP code is wrong", code="login_failed")


def login(
    rt: Runtime, username: str, password: str, code: str | None, *, source: str = ""
) -> IssuedToken:
    """Password then TOTP, under the limits of :mod:`postgate.services.login_limits`.

    Every failure answers the same 401 ``login_failed``: an unknown user, a wrong password,
    a disabled user and a wrong, replayed or out-of-sync code alike, so the answer never
    tells whether the password was right before the code was checked (the audit log does).
    A lock of OTP entry is told before the password is checked, for the same reason.
    """
    username = canonical_name(username)
    if not username:
        raise ValidationFailed("the user name is missing", field="username")
    if not password:
        raise ValidationFailed("the password is missing", field="password")
    if not code or not str(code).strip():
        # Asked before the password is checked, so the answer says nothing about it.
        raise OtpRequired("a TOTP code (or a recovery code) is needed to log in", field="otp")
    login_limits.check(rt, username, source)
    user_id = _check_password(rt, username, password, source)
    try:
        verify_code(rt, user_id, code, source=source, allow_recovery=True)
    except OtpInvalid:  # counted and audited as an OTP failure; answered as any failure
        login_limits.failed(rt, username)
        raise _login_failed() from None
    login_limits.succeeded(rt, username, source)
    return _open_session(rt, user_id, password, source)


def _check_password(rt: Runtime, username: str, password: str, source: str) -> int:
    """The user's id when the password is theirs; else audited, counted and refused."""
    with rt.store.transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        locked = lock_error(user) if user is not None and not user.disabled else None
        if locked is None:
            ok = passwords.verify_password(user.password_hash if user else _dummy_hash(), password)
            if user is not None and ok and not user.disabled:
                return user.id
            rt.audit(
                db,
                Event.SESSION_LOGIN_FAILURE,
                actor=username,
                target=f"user:{username}",
                source=source,
                result="refused",
                details={"reason": "disabled" if user and ok else "bad credentials"},
            )
    if locked is not None:  # audited outside the transaction above, which wrote nothing
        refusals.record_rate_limited(
            rt, limit="otp-locked", actor=username, retry_after=locked.retry_after, source=source
        )
        raise locked
    login_limits.failed(rt, username)
    raise _login_failed()


def _open_session(rt: Runtime, user_id: int, password: str, source: str) -> IssuedToken:
    with rt.store.transaction() as db:
        user = db.get(User, user_id)
        assert user is not None
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        issued = _issue(
            db,
            user,
            "session",
            "login",
            timedelta(hours=rt.settings.session_hours),
            source=source,
            stepped_up=True,
        )
        rt.audit(
            db,
            Event.SESSION_LOGIN,
            actor=user.username,
            target=f"user:{user.username}",
            source=source,
            details={"token": issued.token.id},
        )
    return issued


def _issue(
    db: Session,
    user: User,
    kind: str,
    name: str,
    lifetime: timedelta,
    *,
    source: str,
    stepped_up: bool,
) -> IssuedToken:
    value = new_token_value()
    now = utcnow()
    token = AuthToken(
        user_id=user.id,
        token_hash=hash_token(value),
        kind=kind,
        name=name[:100],
        created_at=now,
        expires_at=now + lifetime,
        source=source[:64],
        step_up_at=now if stepped_up else None,
    )
    db.add(token)
    db.flush()
    return IssuedToken(value, token)


# Built once: making the statement (its ORM comparisons) cost a fifth of authenticating.
_TOKEN_AND_USER = (
    select(AuthToken, User)
    .join(User, User.id == AuthToken.user_id)
    .where(AuthToken.token_hash == bindparam("token_hash"))
)


def authenticate(db: Session, value: str | None) -> tuple[User, AuthToken]:
    """The user and token behind a bearer value, or NotAuthenticated.

    One statement (the token joined to its user), read on every request: a revoked or
    expired token, a disabled user or a changed role is seen by the very next request in
    every process. The value is looked up by its SHA-256 (one hash, no key derivation: the
    value is 256 random bits, so a slow hash would add nothing and cost every request)."""
    if not value:
        raise NotAuthenticated("log in first: send Authorization: Bearer <token>")
    row = db.execute(_TOKEN_AND_USER, {"token_hash": hash_token(value)}).first()
    now = utcnow()
    if row is None:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    token, user = row
    if token.revoked_at is not None or token.expires_at <= now or user.disabled:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    return user, token


TOUCH_EVERY = timedelta(minutes=1)


def use_due(last_used_at: datetime | None) -> bool:
    """Whether a use is worth recording: the last one recorded is over a minute old."""
    return last_used_at is None or utcnow() - last_used_at > TOUCH_EVERY


def touch(db: Session, token: AuthToken) -> None:
    """Record use at most once a minute, to keep reads cheap."""
    if use_due(token.last_used_at):
        record_use(db, token.id)


def record_use(db: Session, token_id: int) -> None:
    """Record that the token was used now."""
    db.execute(update(AuthToken).where(AuthToken.id == token_id).values(last_used_at=utcnow()))


def step_up(
    rt: Runtime,
    user: User,
    token: AuthToken | None,
    code: str | None,
    *,
    source: str = "",
    fresh: bool = False,
    allow_recovery: bool = False,
) -> None:
    """Require a fresh TOTP proof: a code now, or one proven within the step-up window.

    ``fresh`` actions (minting an API token, replacing the TOTP secret) take no proof from
    the window: whoever holds a stolen session must still produce a code in this very
    request. ``allow_recovery`` lets a recovery code stand in for it (replacing a lost
    authenticator).
    """
    if code:
        step = verify_code(rt, user.id, code, source=source, allow_recovery=allow_recovery)
        _sync_detached(user, step)
        with rt.store.transaction() as db:
            if token is not None:
                token.step_up_at = utcnow()
                db.execute(
                    update(AuthToken)
                    .where(AuthToken.id == token.id)
                    .values(step_up_at=token.step_up_at)
                )
            rt.audit(
                db,
                Event.SESSION_STEP_UP,
                actor=user.username,
                target=f"token:{token.id}" if token is not None else f"user:{user.username}",
                source=source,
            )
        return
    if fresh:
        raise OtpRequired("this action needs a TOTP code in the same request (otp)", field="otp")
    if step_up_fresh(rt, token):
        return
    raise OtpRequired("this action needs a fresh TOTP code (otp)", field="otp")


def _sync_detached(user: User, step: int | None) -> None:
    """Bring the caller's request-long copy of the user up to date with the accepted step.

    Views that ``merge`` that copy into a later session would otherwise write the older
    ``last_totp_step`` back and make the code usable again.
    """
    if step is not None and step > (user.last_totp_step or 0):
        user.last_totp_step = step
        user.otp_failures = 0
        user.otp_locked_until = None
        user.totp_confirmed = True


def step_up_fresh(rt: Runtime, token: AuthToken | None) -> bool:
    """Whether ``token`` proved a TOTP code recently enough to skip asking for one."""
    window = rt.settings.step_up_seconds
    return token is not None and window > 0 and _recent(token.step_up_at, window)


def _recent(when: datetime | None, seconds: int) -> bool:
    return when is not None and utcnow() - when <= timedelta(seconds=seconds)


def logout(rt: Runtime, db: Session, user: User, token: AuthToken, *, source: str = "") -> None:
    token.revoked_at = utcnow()
    rt.audit(
        db, Event.SESSION_LOGOUT, actor=user.username, target=f"token:{token.id}", source=source
    )


def create_api_token(
    rt: Runtime, db: Session, user: User, name: str, days: int | None = None, *, source: str = ""
) -> IssuedToken:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("give the token a name", field="name")
    days = days or rt.settings.api_token_days
    if not 1 <= days <= 365:
        raise ValidationFailed("a token lives 1 to 365 days", field="days")
    issued = _issue(db, user, "api", name, timedelta(days=days), source=source, stepped_up=False)
    rt.audit(
        db,
        Event.TOKEN_CREATE,
        actor=user.username,
        target=f"token:{issued.token.id}",
        details={"name": name, "days": days},
        source=source,
    )
    return issued


def list_tokens(db: Session, user: User) -> list[AuthToken]:
    now = utcnow()
    return list(
        db.scalars(
            select(AuthToken)
            .where(
                AuthToken.user_id == user.id,
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            )
            .order_by(AuthToken.id)
        )
    )


def revoke_token(
    rt: Runtime, db: Session, user: User, token_id: int, *, source: str = ""
) -> AuthToken:
    token = db.get(AuthToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("no such token", field="id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        rt.audit(
            db, Event.TOKEN_REVOKE, actor=user.username, target=f"token:{token.id}", source=source
        )
    return token


def revoke_all_tokens(db: Session, user_ids: list[int] | None, *, keep: int | None = None) -> int:
    """End sessions and tokens of these users (all users when None), except ``keep``."""
    query = update(AuthToken).where(AuthToken.revoked_at.is_(None))
    if user_ids is not None:
        query = query.where(AuthToken.user_id.in_(user_ids))
    if keep is not None:
        query = query.where(AuthToken.id != keep)
    return rows_changed(db, query.values(revoked_at=utcnow()))


def token_to_dict(token: AuthToken) -> dict[str, object]:
    return {
        "id": token.id,
        "kind": token.kind,
        "name": token.name,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "source": token.source,
    }
