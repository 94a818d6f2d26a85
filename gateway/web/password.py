"""The page where people change their own password: the current one, the new one twice and a
TOTP code typed now, with the choice to sign out everywhere else (ASVS 7.4.3).

The new password's policy is checked before the code is spent, the code before the current
password (``postgate.services.password_change`` says why).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from gateway.access import current_token, current_user, login_required
from gateway.context import rt, source_address
from gateway.forms import otp_field, show_error, step_up
from postgate.errors import PostgateError
from postgate.services import password_change

bp = Blueprint("password", __name__)


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=256)]
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters; a long phrase is easiest to remember."),
        validators=[DataRequired(), Length(max=256)],
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )
    end_others = BooleanField(_l("Sign me out everywhere else"), default=True)
    otp = otp_field(required=True)


def _page(form: PasswordForm, status: int = 200) -> ResponseReturnValue:
    for name in ("current_password", "new_password", "repeat", "otp"):
        form[name].data = ""
    return render_template("auth/password.html", form=form), status


@bp.get("/me/password")
@login_required
def show() -> ResponseReturnValue:
    return _page(PasswordForm(formdata=None))


@bp.post("/me/password")
@login_required
def change() -> ResponseReturnValue:
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    token = current_token()
    try:
        password_change.check_new_password(current_user(), form.new_password.data)
        step_up(form, fresh=True)
        done = password_change.change_own_password(
            rt(),
            current_user().id,
            form.current_password.data,
            form.new_password.data,
            keep_token=token.id if token is not None else None,
            end_others=bool(form.end_others.data),
            source=source_address(),
        )
    except PostgateError as exc:
        show_error(form, exc, {"current_password": "current_password"})
        return _page(form, exc.status)
    flash(
        _(
            "Your password is changed; %(count)d other sessions or tokens were ended.",
            count=done.sessions_ended,
        ),
        "info",
    )
    return redirect(url_for("auth.profile"))
