"""One-time recovery codes: a way in when the authenticator app is lost.

Each code carries 80 random bits, so a SHA-256 of it is enough at rest. Using one burns it
with a single ``UPDATE ... WHERE used_at IS NULL``, which two processes cannot both win.
Enrollment hands out a fresh set; the OTP check accepts one at login in place of a TOTP code.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from postgate.store.db import rows_changed
from postgate.store.models import RecoveryCode
from postgate.store.types import utcnow

RECOVERY_CODES = 10
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def replace_recovery_codes(db: Session, user_id: int) -> list[str]:
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.add_all(RecoveryCode(user_id=user_id, code_hash=hash_recovery_code(c)) for c in codes)
    db.flush()
    return codes


def burn_recovery_code(db: Session, user_id: int, code: str) -> int | None:
    """Use ``code`` once: the number of codes left, or None when it is wrong or used."""
    burned = rows_changed(
        db,
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    return remaining_recovery_codes(db, user_id) if burned == 1 else None


def remaining_recovery_codes(db: Session, user_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
