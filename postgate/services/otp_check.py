"""Accepting a TOTP code: once only, with a lock after repeated failures.

Both the replay memory (the last accepted time step) and the failure counter live in the
store and change with atomic ``UPDATE ... WHERE`` statements, so several web processes can
never accept the same code twice or lose a failure. This runs in its own short transaction,
committed whatever the outcome, so a failure is counted even when the request is refused.

A lock escalates: the first lasts ``otp_lock_seconds`` (15 minutes), each further one in a
row four times longer (1 h, 4 h, 16 h), up to ``otp_lock_max_seconds`` (a day), so someone
guessing gets a handful of tries a day rather than five every quarter of an hour. The row
is forgotten ``otp_lock_memory_seconds`` (a day) after the latest lock ended, or when an
admin resets the user's 2FA; an accepted code does not forget it, since the thief may be
the one who knows the password while the owner keeps logging in. A lock also closes the
step-up window of every session of the user: a session that proved a code a minute ago
must prove one again, once the lock has passed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from postgate import otp
from postgate.audit import Event
from postgate.errors import OtpInvalid, OtpRequired, RateLimited
from postgate.runtime import Runtime
from postgate.services import refusals
from postgate.services.recovery_codes import burn_recovery_code, normalise_recovery_code
from postgate.settings import Settings
from postgate.store.db import rows_changed
from postgate.store.models import AuthToken, User
from postgate.store.types import utcnow


def verify_code(
    rt: Runtime,
    user_id: int,
    code: str | None,
    *,
    source: str = "",
    allow_recovery: bool = False,
    now: float | None = None,
) -> int | None:
    """Accept ``code`` for the user or raise OtpRequired / OtpInvalid / RateLimited.

    Returns the time step accepted (None for a recovery code). With ``allow_recovery``
    (login only) a one-time recovery code may stand in for the TOTP code; it is burned
    atomically and counts as a failure when wrong, like a TOTP code. ``now`` is the time the
    code is checked at (default: the runtime's clock).
    """
    now = rt.clock() if now is None else now
    if not code or not str(code).strip():
        raise OtpRequired("a TOTP code is needed for this action", field="otp")
    code = str(code).strip()
    with rt.store.transaction() as db:
        user = db.get(User, user_id)
        if user is None or user.totp_secret_enc is None:
            raise OtpInvalid("no TOTP is enrolled for this user", field="otp")
        username, locked = user.username, lock_error(user)
        if locked is None:
            failure, step = _check(rt, db, user, code, source, allow_recovery, now)
    if locked is not None:  # audited outside the transaction above, which writes nothing
        refusals.record_rate_limited(
            rt, limit="otp-locked", actor=username, retry_after=locked.retry_after, source=source
        )
        raise locked
    if failure is not None:
        raise failure
    return step


def _check(
    rt: Runtime,
    db: Session,
    user: User,
    code: str,
    source: str,
    allow_recovery: bool,
    now: float,
) -> tuple[OtpInvalid | None, int | None]:
    if allow_recovery and _looks_like_recovery(code):
        return _use_recovery(rt, db, user, code, source), None
    secret = rt.vault.decrypt(user.totp_secret_enc or "")
    return _check_totp(rt, db, user, secret, code, source, now)


def lock_error(user: User) -> RateLimited | None:
    """The refusal to give while OTP entry is locked for ``user`` (None when it is not)."""
    now = utcnow()
    if user.otp_locked_until and user.otp_locked_until > now:
        wait = int((user.otp_locked_until - now).total_seconds()) + 1
        return RateLimited(
            "TOTP entry is locked after repeated failures; try again in {minutes} minutes",
            retry_after=wait,
            field="otp",
            minutes=wait // 60 + 1,
        )
    return None


def ensure_unlocked(user: User) -> None:
    """Raise RateLimited while OTP entry is locked for ``user``."""
    locked = lock_error(user)
    if locked is not None:
        raise locked


def _looks_like_recovery(code: str) -> bool:
    return len(normalise_recovery_code(code)) > otp.DIGITS


def _check_totp(
    rt: Runtime, db: Session, user: User, secret: str, code: str, source: str, now: float
) -> tuple[OtpInvalid | None, int | None]:
    try:
        step = otp.matching_step(secret, code, now)
    except otp.InvalidCode as exc:
        if isinstance(exc, otp.OutOfSyncCode):
            count_failure(rt, db, user, "out of sync", source)
            return OtpInvalid("the TOTP code is out of sync", field="otp"), None
        count_failure(rt, db, user, "wrong", source)
        return OtpInvalid("the TOTP code is wrong", field="otp"), None
    if accept_step(db, user.id, step):
        return None, step
    count_failure(rt, db, user, "replayed", source)
    replayed = OtpInvalid("this TOTP code was used already; wait for the next one", field="otp")
    return replayed, None


def accept_step(db: Session, user_id: int, step: int, **values: object) -> bool:
    """Record ``step`` as used unless it (or a later one) was: the compare-and-set."""
    accepted = rows_changed(
        db,
        update(User)
        .where(User.id == user_id, User.last_totp_step < step)
        .values(
            last_totp_step=step,
            otp_failures=0,
            otp_locked_until=None,
            totp_confirmed=True,
            **values,
        )
        .execution_options(synchronize_session=False),
    )
    return accepted == 1


def _use_recovery(
    rt: Runtime, db: Session, user: User, code: str, source: str
) -> OtpInvalid | None:
    remaining = burn_recovery_code(db, user.id, code)
    if remaining is None:
        count_failure(rt, db, user, "wrong recovery code", source)
        return OtpInvalid("the recovery code is wrong or was used already", field="otp")
    db.execute(
        update(User)
        .where(User.id == user.id)
        .values(otp_failures=0)
        .execution_options(synchronize_session=False)
    )
    rt.audit(
        db,
        Event.USER_RECOVERY_USED,
        actor=user.username,
        target=f"user:{user.username}",
        details={"remaining": remaining},
        source=source,
    )
    return None


def count_failure(rt: Runtime, db: Session, user: User, problem: str, source: str) -> None:
    """Count one failed OTP entry atomically; lock OTP entry once the limit is reached."""
    db.execute(
        update(User)
        .where(User.id == user.id)
        .values(otp_failures=User.otp_failures + 1)
        .execution_options(synchronize_session=False)
    )
    db.refresh(user)
    rt.audit(
        db,
        Event.SESSION_OTP_FAILURE,
        actor=user.username,
        target=f"user:{user.username}",
        details={"problem": problem, "failures": user.otp_failures},
        source=source,
        result="refused",
    )
    if user.otp_failures >= rt.settings.otp_max_failures:
        _lock(rt, db, user, source)


def lock_seconds(settings: Settings, level: int) -> int:
    """How long the ``level``-th lock in a row lasts: 15 min, 1 h, 4 h, ... up to the cap."""
    base, cap = settings.otp_lock_seconds, settings.otp_lock_max_seconds
    return min(cap, base * 4 ** min(max(level, 1) - 1, 16))


def _lock(rt: Runtime, db: Session, user: User, source: str) -> None:
    """Lock OTP entry, longer for each lock in a row, and close every step-up window."""
    now = utcnow()
    level = 1
    if user.otp_locked_at is not None and user.otp_lockouts:
        ended = user.otp_locked_at + timedelta(seconds=lock_seconds(rt.settings, user.otp_lockouts))
        if now < ended + timedelta(seconds=rt.settings.otp_lock_memory_seconds):
            level = user.otp_lockouts + 1
    seconds = lock_seconds(rt.settings, level)
    user.otp_locked_until = now + timedelta(seconds=seconds)
    user.otp_locked_at = now
    user.otp_lockouts = level
    user.otp_failures = 0
    closed = rows_changed(
        db,
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.step_up_at.is_not(None))
        .values(step_up_at=None)
        .execution_options(synchronize_session=False),
    )
    rt.audit(
        db,
        Event.SESSION_OTP_LOCKED,
        actor=user.username,
        target=f"user:{user.username}",
        details={
            "until": user.otp_locked_until.isoformat(),
            "lock": level,
            "seconds": seconds,
            "step_up_closed": closed,
        },
        source=source,
        result="locked",
    )
