"""``/api/v1/enrol/{token}``: a person sets their own password and authenticator through the
enrolment link an admin handed them (:mod:`postgate.services.enrolment_links`).

Public: the link's token is the credential (256 random bits, stored hashed, single-use and
expiring). ``GET`` says what the link is for, ``POST`` takes the password (the new one, or
the current one for a 2FA reset) and answers the new secret to scan, and ``POST .../confirm``
takes a code from the authenticator and uses the link up.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Body, Limited, Otp, Text, code_of
from gateway.context import rt, source_address
from postgate.services import enrolment_links

bp = ApiBlueprint("enrol", __name__, tag="enrolment")


class EnrolmentPassword(Body):
    """``new`` and ``password`` links: the password the person chooses (the policy applies).
    ``totp`` links: their current password."""

    password: Text
    timezone: Limited(64) | None = Field(  # type: ignore[valid-type]
        default=None,
        description="`new` links: the person's IANA time zone (e.g. `Europe/Paris`), the "
        "clock the web app shows them times on; absent: the organisation's.",
    )


class EnrolmentCode(Body):
    otp: Otp | None = None


@bp.operation(
    "GET", "/enrol/<token>", public=True, answers={200: answers.EnrolmentState}, errors=(404,)
)
def show(token: str) -> dict[str, Any]:
    """What the link is for, and until when it works."""
    with rt().store.session() as db:
        return enrolment_links.describe(enrolment_links.open_link(db, token))


@bp.operation(
    "POST",
    "/enrol/<token>",
    body=EnrolmentPassword,
    public=True,
    answers={200: answers.EnrolmentChoice},
    errors=(401, 404),
)
def choose(token: str, body: EnrolmentPassword) -> dict[str, Any]:
    """The first step: the password; answers the new secret to scan (not for `password`)."""
    username, purpose, fresh = enrolment_links.choose(
        rt(), token, body.password, source=source_address(), timezone=body.timezone
    )
    shown: dict[str, Any] = {"username": username, "purpose": purpose}
    if fresh is not None:
        shown.update(totp_secret=fresh.secret, otpauth_uri=fresh.otpauth_uri, qr_svg=fresh.qr_svg)
    return shown


@bp.operation(
    "POST",
    "/enrol/<token>/confirm",
    body=EnrolmentCode,
    public=True,
    answers={200: answers.EnrolmentDone},
    errors=(401, 404, 409, 429),
)
def confirm(token: str, body: EnrolmentCode) -> dict[str, Any]:
    """The second step: a code from the authenticator. The link is used up; the answer
    holds fresh recovery codes, shown once, when a new authenticator was enrolled."""
    done = enrolment_links.confirm(rt(), token, code_of(body.otp), source=source_address())
    return {
        "username": done.username,
        "purpose": done.purpose,
        "totp_enrolled": True,
        "recovery_codes": done.recovery_codes,
    }
