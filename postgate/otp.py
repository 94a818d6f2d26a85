"""TOTP (RFC 6238) with a tolerance of one 30-second step either way.

Verification here is pure: it answers which time step a code matches. Accepting a step only
once (replay protection) and counting failures belong to the identity service, which keeps
the last accepted step in the store with an atomic compare-and-set. The time a code is checked
at (``now``, seconds since the epoch) is a parameter: the services pass their runtime's clock,
and tests a clock they move on a step rather than wait 30 seconds for the next code.
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import quote

import pyotp

DIGITS = 6
INTERVAL = 30
ISSUER = "Postgate"
TOLERANCE_STEPS = 1
_FAR_STEPS = 10  # how far we look to tell "out of sync" from "wrong"


class InvalidCode(Exception):
    """The code matches no time step near now."""


class OutOfSyncCode(InvalidCode):
    """The code was valid a while ago or will be soon: the device clock is off (RFC 6238 §6)."""


def generate_secret() -> str:
    """A 160-bit base32 secret, the length RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI authenticator apps read from a QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=quote(username, safe="@._-"), issuer_name=issuer
    )


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // INTERVAL)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(step * INTERVAL)


def matching_step(secret: str, code: str, now: float | None = None) -> int:
    """The time step ``code`` belongs to, within one step of now (RFC 6238 §5.2).

    Raises :class:`OutOfSyncCode` when it matches a step further away, and
    :class:`InvalidCode` when it matches none.
    """
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        raise InvalidCode("a TOTP code is 6 digits")
    step = current_step(now)
    for offset in sorted(range(-_FAR_STEPS, _FAR_STEPS + 1), key=abs):
        if hmac.compare_digest(code_at(secret, step + offset), code):
            if abs(offset) <= TOLERANCE_STEPS:
                return step + offset
            raise OutOfSyncCode("the code is for another time; check the device's clock")
    raise InvalidCode("wrong code")
