"""What the web forms share: checkboxes for a list, the 2FA field and its step-up, service
errors shown where the person looks, and text typed one value per line.

Every sensitive form carries an ``otp`` field. The step-up goes through the same service as
the API (:func:`postgate.services.sessions.step_up`) with the web session's token, so a code
entered a few minutes ago on this session still counts (invariant 3); the code typed is
never sent back to the page.

A service error (``postgate.errors``) is shown in the reader's language
(:func:`gateway.i18n.error_text`): next to the field it names when the form has it, else as
a message at the top of the page.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from gateway.access import current_token, current_user
from gateway.context import rt, source_address
from gateway.i18n import error_text
from postgate.errors import PostgateError
from postgate.services import sessions

OTP_HELP = _l("Needed unless you entered one in the last few minutes.")

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) tuples
    SelectChoice = None


def choice(value: str, label: str | None = None) -> Any:
    """One option of a select field, in the form this WTForms version expects."""
    if SelectChoice is None:
        return (value, label if label is not None else value)
    return SelectChoice(value, label)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (accounts, roles, flags, users)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def otp_field(required: bool = False, description: Any = None) -> StringField:
    """The TOTP code of a sensitive form; ``required`` forms ask for a code every time."""
    first = DataRequired(message=_l("Enter the code from your app.")) if required else Optional()
    return StringField(
        _l("Authentication code"),
        description=description if required else OTP_HELP,
        validators=[first, Length(max=32)],
    )


class ActionForm(FlaskForm):
    """A button that changes something: CSRF token only."""


class StepUpForm(FlaskForm):
    """A button that changes something and needs 2FA: CSRF token and the code."""

    otp = otp_field()


def typed_code(form: FlaskForm) -> str | None:
    """The code in the form's ``otp`` field as typed, or None when it is empty."""
    return (form.otp.data or "").strip() or None


def step_up_fresh() -> bool:
    """Whether this session proved a code recently enough that the form may leave it empty."""
    return sessions.step_up_fresh(rt(), current_token())


class FreshCodeForm(FlaskForm):
    """A button that needs a code typed now, whatever the session proved before (replacing
    the second factor); a recovery code may stand in for it."""

    otp = otp_field(
        required=True, description=_l("The code your app shows now, or a recovery code.")
    )


def step_up(form: FlaskForm, *, fresh: bool = False, allow_recovery: bool = False) -> None:
    """Check the form's code, or (unless ``fresh``) the session's recent proof; the code is
    never kept."""
    code = typed_code(form)
    form.otp.data = ""
    sessions.step_up(
        rt(),
        current_user(),
        current_token(),
        code,
        source=source_address(),
        fresh=fresh,
        allow_recovery=allow_recovery,
    )


def flash_error(exc: PostgateError) -> None:
    """A service error as a message at the top of the next page shown."""
    flash(error_text(exc), "error")


def show_error(form: FlaskForm, exc: PostgateError, fields: dict[str, str] | None = None) -> None:
    """Put a service error next to its field (``fields`` maps the service's field names to
    the form's), else at the top of the page."""
    mapping = {"otp": "otp", **(fields or {})}
    name = mapping.get(exc.field or "", exc.field or "")
    if name and name in form:
        form[name].errors = [*form[name].errors, error_text(exc)]
    else:
        flash_error(exc)


def split_lines(text: str | None, *, commas: bool = False) -> list[str]:
    """One value per line (or per comma with ``commas``), blanks dropped."""
    text = (text or "").replace(",", "\n") if commas else (text or "")
    return [p.strip() for p in text.splitlines() if p.strip()]
