"""Connect an account with the platform's own consent screen, and reconnect one.

The admin fills in the account (or presses "Reconnect" on one), proves a fresh TOTP code and
is sent to the platform; the platform sends the browser back to :func:`callback`, which the
service checks against the consent this very session started
(:mod:`postgate.services.oauth_connect`). Where the consent covers several Pages or
organisations the admin picks one on :func:`choose_page`. Every refusal is a 4xx page saying
why; no token ever reaches a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import DataRequired

from gateway.access import caller, current_token, current_user, roles_required
from gateway.context import rt, source_address
from gateway.forms import StepUpForm, choice, show_error, split_lines, step_up
from gateway.web.accounts import FIELDS, new_connect_form, show_account, show_accounts
from postgate import policy
from postgate.errors import PostgateError
from postgate.platforms.registry import PLATFORMS
from postgate.services import oauth_connect
from postgate.services.accounts import find_account
from postgate.services.disconnection import resume_posts

bp = Blueprint("oauth", __name__)


def redirect_uri() -> str:
    """Where the platform sends the browser back: ``[web] public_url``, else this host."""
    base = rt().settings.public_url or request.host_url.rstrip("/")
    return base + oauth_connect.CALLBACK_PATH


@bp.post("/admin/accounts/connect", endpoint="start")
@roles_required(policy.ADMINISTER)
def start() -> ResponseReturnValue:
    form = new_connect_form(request.form)
    if not form.validate_on_submit():
        return show_accounts(422, oauth_form=form)
    req = oauth_connect.ConnectRequest(
        platform=form.platform.data,
        name=form.name.data,
        base_url=(form.base_url.data or "").strip() or None,
        timezone=form.timezone.data.strip(),
        windows=split_lines(form.windows.data),
        blackout_dates=split_lines(form.blackout_dates.data, commas=True),
        approvals_required=form.approvals.data,
    )
    try:
        step_up(form)
        with rt().store.transaction() as db:
            url = oauth_connect.start(
                rt(), db, caller(db), current_token(), req, redirect_uri(), source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc, FIELDS)
        return show_accounts(exc.status, oauth_form=form)
    return _go(url, req.platform, req.name)


@bp.post("/admin/accounts/<name>/reconnect", endpoint="reconnect")
@roles_required(policy.ADMINISTER)
def reconnect(name: str) -> ResponseReturnValue:
    form = StepUpForm(prefix="reconnect")
    if not form.validate_on_submit():
        return show_account(name, 422, reconnect_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            platform = find_account(db, name, field="name").platform
            req = oauth_connect.ConnectRequest(platform=platform, name=name, reconnect=True)
            url = oauth_connect.start(
                rt(), db, caller(db), current_token(), req, redirect_uri(), source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc, {})
        return show_account(name, exc.status, reconnect_form=form)
    return _go(url, platform, name)


def _go(url: str, platform: str, name: str) -> ResponseReturnValue:
    """The way to the platform's consent page: a link the admin follows (a form's redirect
    to another origin would break the pages' ``form-action 'self'`` policy), naming the host
    the browser is about to visit."""
    return render_template(
        "admin/oauth_go.html",
        url=url,
        host=urlsplit(url).netloc,
        title=PLATFORMS[platform].title,
        name=name,
        minutes=max(1, rt().settings.oauth_state_seconds // 60),
    )


@bp.get(oauth_connect.CALLBACK_PATH, endpoint="callback")
@roles_required(policy.ADMINISTER)
def callback() -> ResponseReturnValue:
    """The platform's redirect: a code (or an error) and the state."""
    params = {k: request.args.get(k, "")[:2000] for k in ("state", "code", "error")}
    outcome = oauth_connect.callback(
        rt(), current_user(), current_token(), params, source=source_address()
    )
    return _after(outcome)


class ChoiceForm(FlaskForm):
    choice = RadioField(_l("Connect"), validators=[DataRequired()])


def _choice_form(outcome: oauth_connect.Outcome, formdata: object = None) -> ChoiceForm:
    form = ChoiceForm() if formdata is not None else ChoiceForm(formdata=None)
    form.choice.choices = [choice(c["id"], c["name"]) for c in outcome.choices]
    return form


@bp.route("/admin/oauth/<int:flow_id>/choose", methods=["GET", "POST"], endpoint="choose")
@roles_required(policy.ADMINISTER)
def choose_page(flow_id: int) -> ResponseReturnValue:
    """After a consent covering several Pages or organisations: which one to connect."""
    waiting = oauth_connect.pending_choice(rt(), current_token(), flow_id)
    form = _choice_form(waiting, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                outcome = oauth_connect.choose(
                    rt(),
                    current_user(),
                    current_token(),
                    flow_id,
                    form.choice.data,
                    source=source_address(),
                )
                return _after(outcome)
            except PostgateError as exc:
                show_error(form, exc, {"choice": "choice"})
                status = exc.status
        else:
            status = 422
    return render_template(
        "admin/oauth_choose.html",
        outcome=waiting,
        form=form,
        title=PLATFORMS[waiting.platform].title,
    ), status


def _after(outcome: oauth_connect.Outcome) -> ResponseReturnValue:
    if not outcome.connected:
        return redirect(url_for("oauth.choose", flow_id=outcome.flow_id))
    waiting = resume_posts(rt(), outcome.account)
    if waiting:
        flash(
            _(
                "Posts that were waiting for the account are queued again: %(count)s.",
                count=waiting,
            ),
            "info",
        )
    flash(_("Account %(name)s is connected.", name=outcome.account), "info")
    return redirect(url_for("accounts.show", name=outcome.account))
