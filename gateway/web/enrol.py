"""``/enrol/<token>``: the page of an enrolment link, where a person chooses their own
password and enrols their own authenticator (:mod:`postgate.services.enrolment_links`).

Public, like the login page: the token in the address is the credential. Two steps, as in
the API: the password (new, or the current one for a 2FA reset), then a code from the
authenticator, which uses the link up.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from gateway.context import rt, source_address
from gateway.forms import show_error
from gateway.web.zone import zone_names
from postgate.errors import NotFound, PostgateError
from postgate.services import enrolment_links
from postgate.services.enrolment_links import Purpose

bp = Blueprint("enrol", __name__)


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        description=_l("At least 12 characters, hard to guess, with nothing of your name."),
        validators=[DataRequired(message=_l("Enter a password.")), Length(max=256)],
    )
    repeat = PasswordField(
        _l("The same password again"),
        validators=[EqualTo("password", message=_l("The two passwords differ."))],
    )


class NewPersonForm(PasswordForm):
    """A new person's first step also chooses their clock; ``timezone.js`` preselects the
    browser's zone."""

    timezone = SelectField(
        _l("Time zone"),
        description=_l("Times are shown on this clock, and times you type are read on it."),
        validate_choice=False,  # the service names an unknown zone
    )


class CurrentPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=256)],
    )


class CodeForm(FlaskForm):
    otp = StringField(
        _l("Authentication code"),
        validators=[DataRequired(message=_l("Enter the code from your app.")), Length(max=32)],
    )


def _password_form(purpose: str, *, bound: bool = False) -> FlaskForm:
    kinds: dict[str, type[FlaskForm]] = {
        Purpose.TOTP: CurrentPasswordForm,
        Purpose.NEW: NewPersonForm,
    }
    kind = kinds.get(purpose, PasswordForm)
    form = kind() if bound else kind(formdata=None)
    if isinstance(form, NewPersonForm):
        organisation = _("The organisation's (%(tz)s)", tz=rt().settings.timezone)
        form.timezone.choices = [("", organisation)] + [(z, z) for z in zone_names()]
    return form


def _first_step(
    token: str, form: FlaskForm | None = None, status: int = 200
) -> ResponseReturnValue:
    with rt().store.session() as db:
        link = enrolment_links.describe(enrolment_links.open_link(db, token))
    return render_template(
        "auth/enrol_link.html",
        link=link,
        form=form or _password_form(str(link["purpose"])),
        action=url_for("enrol.choose", token=token),
    ), status


def _second_step(token: str, form: CodeForm, status: int = 200) -> ResponseReturnValue:
    with rt().store.session() as db:
        link = enrolment_links.open_link(db, token)
        shown = enrolment_links.describe(link)
        waiting = enrolment_links.waiting_secret(rt(), link)
    return render_template(
        "auth/enrol_code.html",
        link=shown,
        waiting=waiting,
        form=form,
        action=url_for("enrol.confirm", token=token),
    ), status


@bp.get("/enrol/<token>", endpoint="page")
def page(token: str) -> ResponseReturnValue:
    return _first_step(token)


@bp.post("/enrol/<token>", endpoint="choose")
def choose(token: str) -> ResponseReturnValue:
    with rt().store.session() as db:
        purpose = enrolment_links.open_link(db, token).purpose
    form = _password_form(purpose, bound=True)
    if not form.validate_on_submit():
        return _first_step(token, form, 422)
    try:
        enrolment_links.choose(
            rt(),
            token,
            form.password.data,
            source=source_address(),
            timezone=getattr(form, "timezone", None) and form.timezone.data,
        )
    except NotFound:
        raise
    except PostgateError as exc:
        show_error(form, exc, {"password": "password", "timezone": "timezone"})
        return _first_step(token, form, exc.status)
    return _second_step(token, CodeForm(formdata=None))


@bp.post("/enrol/<token>/confirm", endpoint="confirm")
def confirm(token: str) -> ResponseReturnValue:
    form = CodeForm()
    if not form.validate_on_submit():
        return _second_step(token, form, 422)
    try:
        done = enrolment_links.confirm(rt(), token, form.otp.data, source=source_address())
    except NotFound:
        raise
    except PostgateError as exc:
        show_error(form, exc, {"otp": "otp", "password": "otp"})
        return _second_step(token, form, exc.status)
    return render_template("auth/enrol_done.html", done=done)
