"""What the security and admin pages share: the 2FA field, step-up, errors next to fields.

Every sensitive form carries an ``otp`` field. The step-up goes through the same service as
the API (:func:`postgate.services.sessions.step_up`) with the web session's token, so a code
entered a few minutes ago on this session still counts (invariant 3).
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from gateway.context import live_user, rt, source_address
from gateway.i18n import error_text
from gateway.web.session import web_token, web_user
from postgate.errors import PostgateError
from postgate.services import sessions
from postgate.store.models import User

CRISIS_ROLES = ("security", "admin")
OTP_HELP = _l("Needed unless you entered one in the last few minutes.")


try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) tuples
    SelectChoice = None  # type: ignore[assignment,misc]


def choice(value: str, label: str | None = None) -> Any:
    """One option of a select field, in the form this WTForms version expects."""
    if SelectChoice is None:
        return (value, label if label is not None else value)
    return SelectChoice(value, label)


def otp_field(required: bool = False) -> StringField:
    """The TOTP code of a sensitive form; ``required`` forms ask for a code every time."""
    first = DataRequired(message=_l("Enter the code from your app.")) if required else Optional()
    return StringField(
        _l("Authentication code"),
        description=None if required else OTP_HELP,
        validators=[first, Length(max=32)],
    )


class ActionForm(FlaskForm):
    """A button that changes something and needs 2FA: CSRF token and the code."""

    otp = otp_field()


def step_up_fresh() -> bool:
    return sessions.step_up_fresh(rt(), web_token())


def step_up(form: FlaskForm) -> None:
    """Check the form's code, or the session's recent proof; the code is never kept."""
    user = web_user()
    assert user is not None
    code = (form.otp.data or "").strip() or None
    form.otp.data = ""
    sessions.step_up(rt(), user, web_token(), code, source=source_address())


def caller(db: Session) -> User:
    """The signed-in user as stored now (never a merge of the request's copy)."""
    return live_user(db)


def show_error(form: FlaskForm, exc: PostgateError, fields: dict[str, str] | None = None) -> None:
    """Put a service error next to its field, else at the top of the page."""
    mapping = {"otp": "otp", **(fields or {})}
    name = mapping.get(exc.field or "", exc.field or "")
    if name and name in form:
        form[name].errors = [*form[name].errors, error_text(exc)]
    else:
        flash(error_text(exc), "error")


def split_lines(text: str | None, *, commas: bool = False) -> list[str]:
    """One value per line (or per comma with ``commas``), blanks dropped."""
    text = (text or "").replace(",", "\n") if commas else (text or "")
    return [p.strip() for p in text.splitlines() if p.strip()]
