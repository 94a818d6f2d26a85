"""The forms of the users page: revoke (security leads and admins), and the admin's add a
user, change roles and reset 2FA. Each carries the 2FA field; the views are in ``users.py``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from gateway.access import signed_in_user
from gateway.forms import MultiCheckboxField, choice, otp_field
from postgate.states import Role
from postgate.store.models import ROLES

ROLE_LABELS = {
    Role.AUTHOR: _l("author"),
    Role.REVIEWER: _l("reviewer"),
    Role.SECURITY: _l("security"),
    Role.ADMIN: _l("admin"),
}


class RevokeForm(FlaskForm):
    username = SelectField(_l("User"), validators=[DataRequired(message=_l("Choose a user."))])
    otp = otp_field()


def _roles_field() -> MultiCheckboxField:
    return MultiCheckboxField(
        _l("Roles"),
        choices=[choice(r) for r in ROLES],
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )


class NewUserForm(FlaskForm):
    username = StringField(
        _l("User name"),
        description=_l("Lower-case letters, digits, '.', '_' or '-'."),
        validators=[DataRequired(), Length(max=64)],
    )
    roles = _roles_field()
    otp = otp_field()


class RolesForm(FlaskForm):
    username = SelectField(_l("User"), validators=[DataRequired(message=_l("Choose a user."))])
    roles = _roles_field()
    otp = otp_field()


class ResetForm(FlaskForm):
    username = SelectField(
        _l("User"),
        description=_l("Their sessions end and they enrol again."),
        validators=[DataRequired(message=_l("Choose a user."))],
    )
    otp = otp_field()


def user_choices(
    rows: list[dict[str, Any]], *, active_only: bool = False, others: bool = False
) -> list[Any]:
    """A placeholder, then the users (only active ones, only others than the caller)."""
    me = signed_in_user()
    return [choice("", _("Choose a user…"))] + [
        choice(r["username"])
        for r in rows
        if not (active_only and r["disabled"])
        and not (others and me is not None and r["username"] == me.username)
    ]


def admin_forms(rows: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    """The admin's forms for the users page: those in ``context`` (bound) or blank ones."""
    forms = {
        "new_form": context.pop("new_form", None) or NewUserForm(formdata=None, prefix="new"),
        "roles_form": context.pop("roles_form", None) or RolesForm(formdata=None, prefix="roles"),
        "reset_form": context.pop("reset_form", None) or ResetForm(formdata=None, prefix="reset"),
    }
    forms["roles_form"].username.choices = user_choices(rows)
    forms["reset_form"].username.choices = user_choices(rows, active_only=True)
    return {**forms, "role_labels": ROLE_LABELS}


class EnableForm(FlaskForm):
    username = SelectField(
        _l("User"),
        description=_l("Their password and two-factor are as they were: reset them after a theft."),
        validators=[DataRequired(message=_l("Choose a user."))],
    )
    otp = otp_field()


def enable_form(rows: list[dict[str, Any]], form: EnableForm | None = None) -> EnableForm:
    """The admin's form to enable a revoked user again, offering the revoked ones."""
    form = form or EnableForm(formdata=None, prefix="enable")
    form.username.choices = [choice("", _("Choose a user…"))] + [
        choice(r["username"]) for r in rows if r["disabled"]
    ]
    return form
