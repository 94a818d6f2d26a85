"""TOTP enrollment, its confirmation and reset.

A new secret stays *pending* (encrypted, in Redis, for a few minutes) until the user proves
their authenticator app holds it with a first code; only then does it replace the active
secret, so an abandoned enrollment never locks anyone out. Confirming hands out fresh
recovery codes (:mod:`postgate.services.recovery_codes`).

Replacing the second factor is how a thief holding a stolen session would make it theirs, so
starting needs a current code (or a recovery code) in that very request (the API's and the
pages' ``fresh`` step-up), the pending secret belongs to the session that started it (no
other session can see or confirm it), and confirming ends every other session and API token
of the user: whoever held one must log in again, with the new factor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import segno
from sqlalchemy import delete
from sqlalchemy.orm import Session

from postgate import otp
from postgate.audit import Event
from postgate.errors import Conflict, OtpInvalid, OtpRequired
from postgate.runtime import Runtime
from postgate.services import otp_check
from postgate.services.recovery_codes import replace_recovery_codes
from postgate.services.sessions import revoke_all_tokens
from postgate.services.users import find_user
from postgate.store.models import RecoveryCode, User

PENDING_SECONDS = 600


@dataclass(frozen=True)
class Enrollment:
    """A secret shown once, as the URI and QR code authenticator apps read."""

    username: str
    secret: str

    @property
    def otpauth_uri(self) -> str:
        return otp.provisioning_uri(self.secret, self.username)

    @property
    def qr_svg(self) -> str:
        return qr_svg(self.otpauth_uri)


def qr_svg(uri: str) -> str:
    """An inline SVG QR code (no style attributes, so the CSP needs no exception)."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code to scan with an authenticator app", svgclass="qr"
    )


def _pending_key(rt: Runtime, user_id: int) -> str:
    return rt.key("enroll", user_id)


def start(
    rt: Runtime, db: Session, user: User, token_id: int | None, *, source: str = ""
) -> Enrollment:
    """Make a new pending secret for ``user``, held for session ``token_id`` alone; the
    active one keeps working until confirmed. The caller has checked a current code."""
    secret = otp.generate_secret()
    held = json.dumps({"secret": rt.vault.encrypt(secret), "token": token_id})
    rt.redis.set(_pending_key(rt, user.id), held, ex=PENDING_SECONDS)
    rt.audit(
        db,
        Event.USER_ENROLL,
        actor=user.username,
        target=f"user:{user.username}",
        details={"stage": "started"},
        source=source,
        result="pending",
    )
    return Enrollment(user.username, secret)


def pending(rt: Runtime, user: User, token_id: int | None) -> Enrollment | None:
    """The enrollment session ``token_id`` started and has not confirmed yet (to show its QR
    code again); None when there is none, or when another session started it."""
    value = rt.redis.get(_pending_key(rt, user.id))
    if value is None:
        return None
    try:
        held = json.loads(value)
    except ValueError:
        return None
    if not isinstance(held, dict) or held.get("token") != token_id:
        return None
    return Enrollment(user.username, rt.vault.decrypt(str(held.get("secret", ""))))


def discard_pending(rt: Runtime, user_id: int) -> None:
    rt.redis.delete(_pending_key(rt, user_id))


def confirm(
    rt: Runtime,
    user_id: int,
    code: str | None,
    token_id: int | None,
    *,
    source: str = "",
    now: float | None = None,
) -> list[str]:
    """Activate the pending secret that session ``token_id`` started, with a first code
    from it; ends the user's other sessions and tokens; returns fresh recovery codes.
    ``now`` is the time the code is checked at (default: the runtime's clock)."""
    now = rt.clock() if now is None else now
    if not code or not str(code).strip():
        raise OtpRequired("enter the code your authenticator app shows", field="otp")
    with rt.store.transaction() as db:
        user = db.get(User, user_id)
        assert user is not None
        otp_check.ensure_unlocked(user)
        current = pending(rt, user, token_id)
        if current is None:
            raise Conflict("no enrollment is waiting; start again", field="otp")
        failure, codes = _activate(rt, db, user, current.secret, str(code), token_id, source, now)
    if failure is not None:
        raise failure
    discard_pending(rt, user_id)
    return codes


def _activate(
    rt: Runtime,
    db: Session,
    user: User,
    secret: str,
    code: str,
    token_id: int | None,
    source: str,
    now: float,
) -> tuple[OtpInvalid | None, list[str]]:
    try:
        step = otp.matching_step(secret, code, now)
    except otp.InvalidCode:
        otp_check.count_failure(rt, db, user, "wrong enrollment code", source)
        return OtpInvalid("the code does not match; check the app and try again", field="otp"), []
    if not otp_check.accept_step(db, user.id, step, totp_secret_enc=rt.vault.encrypt(secret)):
        otp_check.count_failure(rt, db, user, "replayed", source)
        return OtpInvalid("this code was used already; wait for the next one", field="otp"), []
    codes = replace_recovery_codes(db, user.id)
    ended = revoke_all_tokens(db, [user.id], keep=token_id)
    rt.audit(
        db,
        Event.USER_ENROLL,
        actor=user.username,
        target=f"user:{user.username}",
        details={"stage": "confirmed", "recovery_codes": len(codes), "tokens_ended": ended},
        source=source,
    )
    return None, codes


def reset(rt: Runtime, db: Session, username: str, *, actor: str, source: str = "") -> Enrollment:
    """Give ``username`` a new, unconfirmed secret (to hand over once) and end their sessions.

    Their recovery codes go too; their first login with the new secret confirms it.
    """
    user = find_user(db, username)
    secret = otp.generate_secret()
    user.totp_secret_enc = rt.vault.encrypt(secret)
    user.totp_confirmed = False
    user.otp_failures = 0
    user.otp_locked_until = None
    user.otp_lockouts = 0
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    ended = revoke_all_tokens(db, [user.id])
    discard_pending(rt, user.id)
    rt.audit(
        db,
        Event.USER_RESET_TOTP,
        actor=actor,
        target=f"user:{user.username}",
        details={"tokens_ended": ended},
        source=source,
    )
    return Enrollment(user.username, secret)


def regenerate(rt: Runtime, db: Session, user: User, *, source: str = "") -> list[str]:
    """New recovery codes for ``user``; the old ones stop working."""
    codes = replace_recovery_codes(db, user.id)
    rt.audit(
        db,
        Event.USER_ENROLL,
        actor=user.username,
        target=f"user:{user.username}",
        details={"stage": "recovery codes renewed", "recovery_codes": len(codes)},
        source=source,
    )
    return codes
