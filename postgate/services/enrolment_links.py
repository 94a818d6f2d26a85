"""Enrolment links: a person sets their own password and enrols their own authenticator.

Creating a user, resetting a password or resetting 2FA through the web app or the API never
shows an admin the person's password or TOTP secret (DESIGN.md invariant 2). It issues a
link instead: single-use, expiring after ``enrolment_link_hours``, stored as the SHA-256 of
its token, shown once to the admin to hand over. Whoever opens it chooses what the link is
for and proves it with a code:

- ``new`` (a new user): choose a password, scan a new secret, confirm with a code from it;
- ``password``: choose a password, confirm with a code from the authenticator already
  enrolled, so the admin holding the link cannot use it;
- ``totp``: give the current password, scan a new secret, confirm with a code from it, so
  the admin holding the link cannot use it either.

Nothing reaches the user before the confirming code: the choice waits on the link (the
password as its argon2 hash, the secret encrypted). A link issued while another is unused
replaces it and covers both purposes. The command line (``postgate users add``) still prints
what it makes: whoever runs it on the server holds the keys already (docs/security.md).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import otp, passwords
from postgate.audit import Event
from postgate.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    OtpInvalid,
    OtpRequired,
    ValidationFailed,
)
from postgate.runtime import Runtime
from postgate.services import otp_check
from postgate.services.accounts import validate_timezone
from postgate.services.enrollment import Enrollment
from postgate.services.recovery_codes import replace_recovery_codes
from postgate.services.sessions import revoke_all_tokens
from postgate.store.models import EnrolmentLink, User
from postgate.store.types import utcnow


class Purpose(enum.StrEnum):
    """What an enrolment link sets."""

    NEW = "new"  # a password and an authenticator
    PASSWORD = "password"  # noqa: S105 (a password, proved with the enrolled authenticator)
    TOTP = "totp"  # an authenticator, proved with the current password


PURPOSES: tuple[str, ...] = tuple(Purpose)
MAX_FAILURES = 5  # wrong current passwords before a link is used up


@dataclass(frozen=True)
class IssuedLink:
    """A link as the admin sees it, once: its token goes into ``/enrol/<token>``."""

    username: str
    purpose: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Confirmed:
    username: str
    purpose: str
    recovery_codes: list[str]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    rt: Runtime, db: Session, user: User, purpose: Purpose, *, actor: str, source: str = ""
) -> IssuedLink:
    """A fresh link for ``user``; an unused earlier one stops working, and what it was for
    joins this one's purpose (a password reset then a 2FA reset give one ``new`` link)."""
    assert purpose in PURPOSES, purpose
    now = utcnow()
    earlier = db.scalars(
        select(EnrolmentLink).where(
            EnrolmentLink.user_id == user.id,
            EnrolmentLink.used_at.is_(None),
            EnrolmentLink.expires_at > now,
        )
    ).all()
    for link in earlier:
        link.used_at = now
        if link.purpose != purpose:
            purpose = Purpose.NEW
    token = "pe_" + secrets.token_urlsafe(32)
    expires = now + timedelta(hours=rt.settings.enrolment_link_hours)
    db.add(
        EnrolmentLink(
            user_id=user.id,
            token_hash=_digest(token),
            purpose=purpose,
            created_by=actor[:64],
            created_at=now,
            expires_at=expires,
        )
    )
    rt.audit(
        db,
        Event.USER_ENROLMENT_LINK,
        actor=actor,
        target=f"user:{user.username}",
        details={"purpose": purpose, "expires_at": expires.isoformat()},
        source=source,
    )
    return IssuedLink(user.username, purpose, token, expires)


def open_link(db: Session, token: str, *, lock: bool = False) -> EnrolmentLink:
    """The usable link of ``token``, or one 404 for a used, expired or unknown one."""
    query = select(EnrolmentLink).where(EnrolmentLink.token_hash == _digest(token or ""))
    link = db.scalar(query.with_for_update() if lock else query)
    usable = link is not None and link.used_at is None and link.expires_at > utcnow()
    if link is None or not usable or link.user.disabled:
        raise NotFound(
            "this enrolment link does not work: it was used, it expired or it never existed",
            field="token",
        )
    return link


def describe(link: EnrolmentLink) -> dict[str, object]:
    """What the link's page and ``GET /enrol/{token}`` show: never a secret."""
    return {
        "username": link.user.username,
        "purpose": link.purpose,
        "expires_at": link.expires_at.isoformat(),
        "chosen": link.password_hash is not None or link.totp_secret_enc is not None,
    }


def choose(
    rt: Runtime, token: str, password: str, *, source: str = "", timezone: str | None = None
) -> tuple[str, str, Enrollment | None]:
    """The first step: the new password (``new``, ``password``) or the current one
    (``totp``). Answers the user name, the purpose and, except for ``password``, the new
    secret to scan. Choosing again replaces the earlier choice. A new person also chooses
    their time zone (``timezone``; None keeps the organisation's)."""
    if not password:
        raise ValidationFailed("the password is missing", field="password")
    with rt.store.transaction() as db:
        link = open_link(db, token, lock=True)
        username, purpose = link.user.username, link.purpose
        wrong = _wrong_current_password(link, password) if purpose == Purpose.TOTP else None
        if purpose == Purpose.NEW and timezone:
            link.user.timezone = validate_timezone(timezone)
        if purpose != Purpose.TOTP:
            passwords.check_policy(password, username)
            link.password_hash = passwords.hash_password(password)
        fresh = None
        if wrong is None and purpose in (Purpose.NEW, Purpose.TOTP):
            fresh = Enrollment(username, otp.generate_secret())
            link.totp_secret_enc = rt.vault.encrypt(fresh.secret)
    if wrong is not None:  # raised once the count of failures is committed
        raise wrong
    return username, purpose, fresh


def _wrong_current_password(link: EnrolmentLink, password: str) -> NotAuthenticated | None:
    """A 2FA reset is proved with the current password; a few wrong ones use the link up."""
    if passwords.verify_password(link.user.password_hash, password):
        return None
    link.failures += 1
    if link.failures >= MAX_FAILURES:
        link.used_at = utcnow()
    return NotAuthenticated("the password is wrong", field="password", code="login_failed")


def confirm(rt: Runtime, token: str, code: str | None, *, source: str = "") -> Confirmed:
    """The second step: a code proves the person holds the authenticator (the new one, or
    for ``password`` the one enrolled already). Then the choice reaches the user, their
    other sessions end, and the link is used up."""
    if not code or not str(code).strip():
        raise OtpRequired("enter the code your authenticator app shows", field="otp")
    code = str(code).strip()
    with rt.store.session() as db:
        link = open_link(db, token)
        user_id, purpose = link.user_id, link.purpose
        secret_enc = link.totp_secret_enc
        if link.password_hash is None and secret_enc is None:
            raise Conflict("choose the password first", field="password")
    if purpose == Purpose.PASSWORD:
        otp_check.verify_code(rt, user_id, code, source=source)
        return _apply(rt, token, None, source)
    assert secret_enc is not None
    return _apply(rt, token, (rt.vault.decrypt(secret_enc), code), source)


def _apply(rt: Runtime, token: str, new_secret: tuple[str, str] | None, source: str) -> Confirmed:
    with rt.store.transaction() as db:
        link = open_link(db, token, lock=True)
        user = link.user
        failure = _activate(rt, db, link, new_secret, source) if new_secret else None
        if failure is None:
            codes = _finish(rt, db, link, new_secret is not None, source)
    if failure is not None:
        raise failure
    return Confirmed(user.username, link.purpose, codes)


def _activate(
    rt: Runtime, db: Session, link: EnrolmentLink, new_secret: tuple[str, str], source: str
) -> Exception | None:
    """Check the code against the new secret and make it the user's, once (compare-and-set
    on the last accepted step, as every TOTP code)."""
    user = link.user
    locked = otp_check.lock_error(user)
    if locked is not None:
        return locked
    secret, code = new_secret
    try:
        step = otp.matching_step(secret, code)
    except otp.InvalidCode:
        otp_check.count_failure(rt, db, user, "wrong enrolment code", source)
        return OtpInvalid("the code does not match; check the app and try again", field="otp")
    if not otp_check.accept_step(db, user.id, step, totp_secret_enc=rt.vault.encrypt(secret)):
        otp_check.count_failure(rt, db, user, "replayed", source)
        return OtpInvalid("this code was used already; wait for the next one", field="otp")
    return None


def _finish(
    rt: Runtime, db: Session, link: EnrolmentLink, new_totp: bool, source: str
) -> list[str]:
    user = link.user
    if link.password_hash is not None:
        user.password_hash = link.password_hash
    codes = replace_recovery_codes(db, user.id) if new_totp else []
    ended = revoke_all_tokens(db, [user.id])
    link.used_at = utcnow()
    link.password_hash = link.totp_secret_enc = None
    rt.audit(
        db,
        Event.USER_ENROLLED,
        actor=user.username,
        target=f"user:{user.username}",
        details={"purpose": link.purpose, "tokens_ended": ended, "recovery_codes": len(codes)},
        source=source,
    )
    return codes


def unusable_password() -> str:
    """A password hash nobody knows the password of, for someone who has not chosen one."""
    return passwords.hash_password(secrets.token_urlsafe(32))


def waiting_secret(rt: Runtime, link: EnrolmentLink) -> Enrollment | None:
    """The secret chosen on ``link`` and not confirmed yet, to show its QR code again."""
    if link.totp_secret_enc is None:
        return None
    return Enrollment(link.user.username, rt.vault.decrypt(link.totp_secret_enc))
