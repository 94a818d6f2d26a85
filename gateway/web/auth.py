"""Web pages for signing in and out, the user's own sessions and tokens, and their 2FA.

Views parse a form, call the same services as the API and render; every form carries a
CSRF token (Flask-WTF) and every page checks the signed-in user on the server.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gateway.access import caller, current_token, current_user, login_required, signed_in_user
from gateway.context import rt, source_address
from gateway.forms import (
    ActionForm,
    FreshCodeForm,
    StepUpForm,
    flash_error,
    otp_field,
    step_up,
    step_up_fresh,
    typed_code,
)
from gateway.redirects import safe_next
from gateway.web.home import landing_url
from gateway.web.session import end_session, start_session
from gateway.web.zone import zone_form
from postgate.errors import PostgateError, RateLimited
from postgate.services import duties, enrollment, sessions
from postgate.services.recovery_codes import remaining_recovery_codes
from postgate.store.models import AuthToken, User

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    otp = StringField(
        "Authentication code",
        description="The 6-digit code from your authenticator app, or a recovery code.",
        validators=[DataRequired(), Length(max=32)],
    )
    next = HiddenField()


class ConfirmForm(FlaskForm):
    otp = StringField(
        "Code shown by the app",
        validators=[DataRequired(), Length(min=6, max=8)],
    )


class NewTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
    days = IntegerField("Valid for (days)", validators=[Optional(), NumberRange(1, 365)])
    otp = otp_field(required=True)


def _failed(template: str, exc: PostgateError, **context: Any) -> ResponseReturnValue:
    flash_error(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    return render_template(template, **context), exc.status, headers


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        user = signed_in_user()
        if user is not None:
            return redirect(landing_url(user))
        form.next.data = safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    try:
        issued = sessions.login(
            rt(), form.username.data, form.password.data, typed_code(form), source=source_address()
        )
    except PostgateError as exc:
        form.password.data = form.otp.data = ""
        return _failed("auth/login.html", exc, form=form)
    start_session(issued.value)
    target = safe_next(form.next.data)
    if not target:
        with rt().store.session() as db:
            target = landing_url(db.get_one(User, issued.token.user_id))
    return redirect(target)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit() and signed_in_user() is not None:
        with rt().store.transaction() as db:
            token = db.get(AuthToken, current_token().id)  # type: ignore[union-attr]
            if token is not None:
                sessions.logout(rt(), db, caller(db), token, source=source_address())
    end_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _profile(status: int = 200, **extra: Any) -> ResponseReturnValue:
    with rt().store.session() as db:
        user = caller(db)
        tokens = sessions.list_tokens(db, user)
        left = remaining_recovery_codes(db, user.id)
    current = current_token()
    return render_template(
        "auth/profile.html",
        user=user,
        tokens=tokens,
        current_id=current.id if current else None,
        recovery_left=left,
        zone_form=zone_form(user.timezone, rt().settings.timezone),
        cooling=duties.cooling_off_error(user),
        token_form=extra.pop("token_form", None) or NewTokenForm(formdata=None),
        step_up_fresh=step_up_fresh(),
        **extra,
    ), status


@bp.get("/me")
@login_required
def profile() -> ResponseReturnValue:
    return _profile()


@bp.post("/me/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _profile(422, token_form=form)
    try:
        step_up(form, fresh=True)
        with rt().store.transaction() as db:
            issued = sessions.create_api_token(
                rt(), db, caller(db), form.name.data, form.days.data, source=source_address()
            )
            shown = {"name": issued.token.name, "value": issued.value}
    except PostgateError as exc:
        flash_error(exc)
        return _profile(exc.status, token_form=form)
    return _profile(201, new_token=shown)


@bp.post("/me/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        return _profile(400)
    with rt().store.transaction() as db:
        sessions.revoke_token(rt(), db, caller(db), token_id, source=source_address())
    current = current_token()
    if current is not None and current.id == token_id:
        end_session()
        return redirect(url_for("auth.login"))
    flash("The token was revoked.", "info")
    return redirect(url_for("auth.profile"))


def _twofa(status: int = 200, **context: Any) -> ResponseReturnValue:
    with rt().store.session() as db:
        user = caller(db)
        left = remaining_recovery_codes(db, user.id)
    return render_template(
        "auth/twofa.html",
        user=user,
        recovery_left=left,
        step_up_fresh=step_up_fresh(),
        start_form=context.pop("start_form", None) or FreshCodeForm(formdata=None),
        renew_form=context.pop("renew_form", None) or StepUpForm(formdata=None, prefix="renew"),
        **context,
    ), status


@bp.get("/me/2fa")
@login_required
def twofa() -> ResponseReturnValue:
    return _twofa()


@bp.post("/me/2fa/start")
@login_required
def twofa_start() -> ResponseReturnValue:
    form = FreshCodeForm()
    if not form.validate_on_submit():
        return _twofa(422, start_form=form)
    try:
        step_up(form, fresh=True, allow_recovery=True)
        with rt().store.transaction() as db:
            started = enrollment.start(rt(), db, caller(db), _token_id(), source=source_address())
    except PostgateError as exc:
        flash_error(exc)
        return _twofa(exc.status, start_form=form)
    return _enroll_page(started, ConfirmForm(formdata=None))


def _token_id() -> int | None:
    token = current_token()
    return token.id if token is not None else None


def _enroll_page(
    started: enrollment.Enrollment, form: ConfirmForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "auth/enroll.html",
        qr_svg=started.qr_svg,
        secret=started.secret,
        form=form,
    ), status


@bp.post("/me/2fa/confirm")
@login_required
def twofa_confirm() -> ResponseReturnValue:
    form = ConfirmForm()
    user = current_user()
    waiting = enrollment.pending(rt(), user, _token_id())
    if waiting is None:
        flash("No set-up is waiting any more; start again.", "error")
        return redirect(url_for("auth.twofa"))
    if not form.validate_on_submit():
        return _enroll_page(waiting, form, 422)
    try:
        codes = enrollment.confirm(
            rt(), user.id, typed_code(form), _token_id(), source=source_address()
        )
    except PostgateError as exc:
        flash_error(exc)
        return _enroll_page(waiting, form, exc.status)
    return render_template("auth/recovery_codes.html", codes=codes, enrolled=True)


@bp.post("/me/2fa/recovery-codes")
@login_required
def recovery_codes() -> ResponseReturnValue:
    form = StepUpForm(prefix="renew")
    if not form.validate_on_submit():
        return _twofa(422, renew_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            codes = enrollment.regenerate(rt(), db, caller(db), source=source_address())
    except PostgateError as exc:
        flash_error(exc)
        return _twofa(exc.status, renew_form=form)
    return render_template("auth/recovery_codes.html", codes=codes, enrolled=False)
