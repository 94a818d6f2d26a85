"""Admin pages for accounts: connect one, change its windows and approvals, new credentials.

Credentials are typed into a password field, verified with the platform, stored encrypted
by ``postgate.services.accounts`` and never rendered again, not even after an error
(invariant 9). Every change needs 2FA.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gateway.access import caller, current_user, roles_required
from gateway.context import rt, source_address
from gateway.forms import (
    ActionForm,
    StepUpForm,
    choice,
    flash_error,
    otp_field,
    show_error,
    split_lines,
    step_up,
    step_up_fresh,
)
from gateway.web.account_rows import account_rows
from postgate import policy
from postgate.errors import NotFound, PostgateError, ValidationFailed
from postgate.oauth.providers import oauth_platforms
from postgate.platforms.registry import PLATFORMS, platform_names
from postgate.services import account_changes, accounts
from postgate.services.disconnection import resume_posts

bp = Blueprint("accounts", __name__)
CREDENTIALS_HELP = _l(
    "The platform's access token, or a JSON object with every field. Verified with the "
    "platform, stored encrypted, never shown again. Leave empty for a sandbox account."
)
WINDOWS_HELP = _l("One per line, e.g. “mon-fri 08:00-20:00”. None: any time.")
BLACKOUT_HELP = _l("Dates with no posting, YYYY-MM-DD, one per line.")
FIELDS = {
    "name": "name",
    "platform": "platform",
    "base_url": "base_url",
    "token": "credentials",
    "credentials": "credentials",
    "timezone": "timezone",
    "window": "windows",
    "windows": "windows",
    "blackout_dates": "blackout_dates",
    "approvals": "approvals",
    "approvals_required": "approvals",
}


class SettingsForm(FlaskForm):
    timezone = StringField(
        _l("Time zone"),
        description=_l("The audience's clock, e.g. Europe/Paris."),
        validators=[DataRequired(), Length(max=64)],
    )
    windows = TextAreaField(_l("Posting windows"), description=WINDOWS_HELP)
    blackout_dates = TextAreaField(_l("Blackout dates"), description=BLACKOUT_HELP)
    approvals = IntegerField(
        _l("Approvals needed"),
        description=_l("Distinct reviewers who must approve each post (1 to 5)."),
        validators=[DataRequired(), NumberRange(1, 5)],
    )
    otp = otp_field()


class ConnectForm(SettingsForm):
    name = StringField(
        _l("Account name"),
        description=_l("Lower-case letters, digits, '.', '_' or '-'."),
        validators=[DataRequired(), Length(max=64)],
    )
    platform = SelectField(
        _l("Platform"), choices=[choice(p) for p in platform_names()], validators=[DataRequired()]
    )
    base_url = StringField(
        _l("Server address"),
        description=_l("e.g. https://mastodon.example; empty for the local sandbox."),
        validators=[Optional(), Length(max=500)],
    )
    credentials = PasswordField(
        _l("Credentials"), description=CREDENTIALS_HELP, validators=[Optional(), Length(max=8000)]
    )


class OAuthConnectForm(SettingsForm):
    """Connect with the platform's consent screen: the account's settings, no credentials."""

    name = StringField(
        _l("Account name"),
        description=_l("Lower-case letters, digits, '.', '_' or '-'."),
        validators=[DataRequired(), Length(max=64)],
    )
    platform = SelectField(_l("Platform"), validators=[DataRequired()])
    base_url = StringField(
        _l("Server address"),
        description=_l("Mastodon only: e.g. https://mastodon.example; empty for the sandbox."),
        validators=[Optional(), Length(max=500)],
    )


def connect_platforms() -> list[str]:
    """The platforms offered with a Connect button: a consent flow and a connector exist."""
    return [p for p in oauth_platforms() if p in PLATFORMS]


def new_connect_form(formdata: Any = None) -> OAuthConnectForm:
    """The Connect form, blank (with defaults) or read from ``formdata``."""
    kwargs: dict[str, Any] = {"prefix": "oauth"}
    if formdata is None:
        kwargs |= {"formdata": None, "data": {"timezone": "Europe/Paris", "approvals": 1}}
    form = OAuthConnectForm(**kwargs)
    form.platform.choices = [choice(p, PLATFORMS[p].title) for p in connect_platforms()]
    return form


class CredentialsForm(FlaskForm):
    credentials = PasswordField(
        _l("New credentials"), description=CREDENTIALS_HELP, validators=[Length(max=8000)]
    )
    otp = otp_field()


def _account_rows() -> list[dict[str, Any]]:
    with rt().store.session() as db:
        return account_rows(db)


def show_accounts(
    status: int = 200, form: ConnectForm | None = None, oauth_form: FlaskForm | None = None
) -> ResponseReturnValue:
    if form is None:
        form = ConnectForm(formdata=None, data={"timezone": "Europe/Paris", "approvals": 1})
    return render_template(
        "admin/accounts.html",
        accounts=_account_rows(),
        form=form,
        oauth_form=oauth_form or new_connect_form(),
        step_up_fresh=step_up_fresh(),
    ), status


@bp.get("/admin/accounts", endpoint="list")
@roles_required(policy.ADMINISTER)
def accounts_list() -> ResponseReturnValue:
    return show_accounts()


@bp.post("/admin/accounts", endpoint="add")
@roles_required(policy.ADMINISTER)
def add_account() -> ResponseReturnValue:
    form = ConnectForm()
    if not form.validate_on_submit():
        return show_accounts(422, form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            made = accounts.add_account(
                rt(),
                db,
                form.name.data,
                form.platform.data,
                base_url=(form.base_url.data or "").strip() or None,
                secret=form.credentials.data or None,
                timezone=form.timezone.data.strip(),
                windows=split_lines(form.windows.data),
                blackout_dates=split_lines(form.blackout_dates.data, commas=True),
                approvals_required=form.approvals.data,
                actor=caller(db).username,
                source=source_address(),
            )
            name = made.name
    except PostgateError as exc:
        show_error(form, exc, FIELDS)
        return show_accounts(exc.status, form)
    flash(_("Account %(name)s is connected.", name=name), "info")
    return redirect(url_for("accounts.show", name=name))


def show_account(
    name: str,
    status: int = 200,
    settings_form: SettingsForm | None = None,
    credentials_form: CredentialsForm | None = None,
    reconnect_form: FlaskForm | None = None,
) -> ResponseReturnValue:
    found = next((a for a in _account_rows() if a["name"] == name), None)
    if found is None:
        abort(404)
    if settings_form is None:
        settings_form = SettingsForm(
            formdata=None,
            prefix="settings",
            data={
                "timezone": found["timezone"],
                "windows": "\n".join(found["windows"]),
                "blackout_dates": "\n".join(found["blackout_dates"]),
                "approvals": found["approvals_required"],
            },
        )
    with rt().store.session() as db:
        waiting = [
            account_changes.change_to_dict(c)
            for c in account_changes.pending_changes(db, found["name"])
        ]
    return render_template(
        "admin/account.html",
        account=found,
        waiting=waiting,
        me=current_user().username,
        change_forms={
            c["id"]: StepUpForm(formdata=None, prefix=f"change{c['id']}") for c in waiting
        },
        settings_form=settings_form,
        credentials_form=credentials_form or CredentialsForm(formdata=None, prefix="creds"),
        reconnect_form=reconnect_form or StepUpForm(formdata=None, prefix="reconnect"),
        can_connect=found["platform"] in connect_platforms(),
        step_up_fresh=step_up_fresh(),
    ), status


@bp.get("/admin/accounts/<name>", endpoint="show")
@roles_required(policy.ADMINISTER)
def account_page(name: str) -> ResponseReturnValue:
    return show_account(name)


@bp.post("/admin/accounts/<name>", endpoint="update")
@roles_required(policy.ADMINISTER)
def update_account(name: str) -> ResponseReturnValue:
    form = SettingsForm(prefix="settings")
    if not form.validate_on_submit():
        return show_account(name, 422, settings_form=form)
    changes = {
        "timezone": form.timezone.data.strip(),
        "windows": split_lines(form.windows.data),
        "blackout_dates": split_lines(form.blackout_dates.data, commas=True),
        "approvals_required": form.approvals.data,
    }
    try:
        step_up(form)
        with rt().store.transaction() as db:
            done = account_changes.change_settings(
                rt(), db, name, changes, actor=caller(db).username, source=source_address()
            )
    except NotFound:
        abort(404)
    except PostgateError as exc:
        show_error(form, exc, FIELDS)
        return show_account(name, exc.status, settings_form=form)
    if done.pending is not None:
        flash(
            _(
                "The other settings of %(name)s are saved. The new posting windows or blackout "
                "dates let more posts through: they wait for a second person (another admin or "
                "the security lead) to approve them with their code.",
                name=name,
            ),
            "info",
        )
    else:
        flash(_("The settings of %(name)s are saved.", name=name), "info")
    return redirect(url_for("accounts.show", name=name))


@bp.post("/admin/accounts/<name>/changes/<int:change_id>/approve", endpoint="approve_change")
@roles_required(policy.ADMINISTER)
def approve_change(name: str, change_id: int) -> ResponseReturnValue:
    form = StepUpForm(prefix=f"change{change_id}")
    if not form.validate_on_submit():
        return show_account(name, 422)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            account_changes.approve(
                rt(), db, change_id, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        flash_error(exc)
        return show_account(name, exc.status)
    flash(_("Approved: the new posting windows and blackout dates apply."), "info")
    return redirect(url_for("accounts.show", name=name))


@bp.post("/admin/accounts/<name>/changes/<int:change_id>/deny", endpoint="deny_change")
@roles_required(policy.ADMINISTER)
def deny_change(name: str, change_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        return show_account(name, 422)
    try:
        with rt().store.transaction() as db:
            account_changes.deny(
                rt(), db, change_id, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        flash_error(exc)
        return show_account(name, exc.status)
    flash(_("Denied: the posting windows and blackout dates stay as they were."), "info")
    return redirect(url_for("accounts.show", name=name))


@bp.post("/admin/accounts/<name>/credentials", endpoint="credentials")
@roles_required(policy.ADMINISTER)
def replace_credentials(name: str) -> ResponseReturnValue:
    form = CredentialsForm(prefix="creds")
    if not form.validate_on_submit():
        return show_account(name, 422, credentials_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            accounts.replace_credentials(
                rt(),
                db,
                name,
                form.credentials.data or None,
                actor=caller(db).username,
                source=source_address(),
            )
    except NotFound:
        abort(404)
    except PostgateError as exc:
        show_error(form, exc, FIELDS)
        return show_account(name, exc.status, credentials_form=form)
    resume_posts(rt(), name)  # a disconnected account's waiting posts go now
    flash(_("New credentials for %(name)s are verified and stored.", name=name), "info")
    return redirect(url_for("accounts.show", name=name))


@bp.post("/security/account-changes/<int:change_id>/approve", endpoint="console_approve_change")
@roles_required(policy.RUN_CONSOLE)
def console_approve_change(change_id: int) -> ResponseReturnValue:
    """The security lead (or an admin) approves from the console."""
    form = StepUpForm(prefix=f"change{change_id}")
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(
                "the page's security token is missing or expired; reload the page", field="otp"
            )
        step_up(form)
        with rt().store.transaction() as db:
            account_changes.approve(
                rt(), db, change_id, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        flash_error(exc)
        return redirect(url_for("console.index") + "#account-changes")
    flash(_("Approved: the new posting windows and blackout dates apply."), "info")
    return redirect(url_for("console.index"))


@bp.post("/security/account-changes/<int:change_id>/deny", endpoint="console_deny_change")
@roles_required(policy.RUN_CONSOLE)
def console_deny_change(change_id: int) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        try:
            with rt().store.transaction() as db:
                account_changes.deny(
                    rt(), db, change_id, actor=caller(db).username, source=source_address()
                )
        except PostgateError as exc:
            flash_error(exc)
            return redirect(url_for("console.index") + "#account-changes")
        flash(_("Denied: the posting windows and blackout dates stay as they were."), "info")
    return redirect(url_for("console.index"))
