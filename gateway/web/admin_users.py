"""Admin forms of the users page: add a user, change roles, reset 2FA (each with 2FA).

A new user's password (generated) and TOTP secret are shown once, on the answer to the form
that created them, to be handed over; they are never shown again. The same for a reset.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from gateway.access import caller, roles_required
from gateway.context import rt, source_address
from gateway.forms import MultiCheckboxField, choice, otp_field, show_error, step_up
from gateway.web import bp
from gateway.web.console_users import user_choices, user_rows, users_page
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import enrollment, users
from postgate.store.models import ROLES

ROLE_LABELS = {
    "author": _l("author"),
    "reviewer": _l("reviewer"),
    "security": _l("security"),
    "admin": _l("admin"),
}


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


@bp.post("/security/users/new", endpoint="create_user")
@roles_required(policy.ADMINISTER)
def create_user() -> ResponseReturnValue:
    form = NewUserForm(prefix="new")
    if not form.validate_on_submit():
        return users_page(422, new_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            made = users.create_user(
                rt(),
                db,
                form.username.data,
                form.roles.data,
                actor=caller(db).username,
                source=source_address(),
            )
            name = made.user.username
    except PostgateError as exc:
        show_error(form, exc, {"username": "username", "roles": "roles"})
        return users_page(exc.status, new_form=form)
    first = enrollment.Enrollment(name, made.totp_secret)
    shown = {
        "username": name,
        "password": made.password,
        "secret": first.secret,
        "uri": first.otpauth_uri,
        "qr_svg": first.qr_svg,
    }
    return users_page(201, handover=shown)


@bp.post("/security/users/roles", endpoint="set_roles")
@roles_required(policy.ADMINISTER)
def set_roles() -> ResponseReturnValue:
    form = RolesForm(prefix="roles")
    form.username.choices = user_choices(user_rows())
    if not form.validate_on_submit():
        return users_page(422, roles_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            users.set_roles(
                rt(),
                db,
                form.username.data,
                form.roles.data,
                actor=caller(db).username,
                source=source_address(),
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username", "roles": "roles"})
        return users_page(exc.status, roles_form=form)
    flash(_("The roles of %(user)s are changed.", user=form.username.data), "info")
    return redirect(url_for("web.users"))


@bp.post("/security/users/reset-2fa", endpoint="reset_totp")
@roles_required(policy.ADMINISTER)
def reset_totp() -> ResponseReturnValue:
    form = ResetForm(prefix="reset")
    form.username.choices = user_choices(user_rows(), active_only=True)
    if not form.validate_on_submit():
        return users_page(422, reset_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            fresh = enrollment.reset(
                rt(), db, form.username.data, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username"})
        return users_page(exc.status, reset_form=form)
    shown = {
        "username": fresh.username,
        "password": None,
        "secret": fresh.secret,
        "uri": fresh.otpauth_uri,
        "qr_svg": fresh.qr_svg,
    }
    return users_page(200, handover=shown)
