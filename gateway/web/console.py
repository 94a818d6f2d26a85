"""The security lead's crisis console: freeze and lift, and the one-click takedown.

Views parse a form, call the same crisis services as the API (``gateway/api/freeze.py``,
``gateway/api/takedowns.py``) and render. The role is checked before the step-up, so a user
without it gets 403 whatever code they type. The running takedown and its report are in
``takedowns.py``, the audit log in ``audit.py``, users and access in ``users.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from gateway.access import caller, current_token, current_user, roles_required
from gateway.clock import viewer_zone
from gateway.context import rt, source_address
from gateway.forms import (
    MultiCheckboxField,
    StepUpForm,
    otp_field,
    show_error,
    step_up,
    step_up_fresh,
)
from gateway.web.account_rows import account_rows
from gateway.web.crisis import held_row
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import (
    account_changes,
    crisis,
    duties,
    freezes,
    takedown_preview,
    takedown_view,
    takedowns,
    unfreeze,
    watch_alerts,
)
from postgate.services.settling import waiting_for_a_person
from postgate.services.takedown_scope import parse_scope
from postgate.services.users import list_users
from postgate.store.types import utcnow
from postgate.timeparse import local_to_utc

bp = Blueprint("console", __name__)
ALL = ""  # the "every account" choice of the freeze and lift forms
DEFAULT_LOOKBACK = timedelta(hours=24)


class FreezeForm(FlaskForm):
    account = SelectField(_l("Scope"), validators=[Optional()])
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Shown to everyone whose posts are held."),
        validators=[DataRequired(message=_l("Give a reason for the freeze.")), Length(max=2000)],
    )
    otp = otp_field()


class LiftForm(FlaskForm):
    account = SelectField(_l("Freeze to lift"), validators=[Optional()])
    otp = otp_field()


class TakedownForm(FlaskForm):
    every = BooleanField(_l("Every account"))
    accounts = MultiCheckboxField(_l("Accounts"))
    since = DateTimeLocalField(
        _l("Posts since"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description=_l("From when posts are suspect. Be generous: earlier is safer."),
        validators=[DataRequired(message=_l("Give a date and time."))],
    )
    clock = SelectField(_l("Time zone of that time"))
    users = MultiCheckboxField(
        _l("Sessions to end"),
        description=_l("None chosen: everyone's sessions and API tokens but yours."),
    )
    include_postgate = SelectField(
        _l("Postgate's own posts in the window"),
        choices=[("none", _l("Keep them")), ("all", _l("Delete them too"))],
        default="none",
        description=_l(
            "Posts Postgate did not publish, and Postgate posts edited on the platform, are "
            "always deleted; crisis statements never are."
        ),
    )
    otp = otp_field(required=True)

    def validate_accounts(self, field: MultiCheckboxField) -> None:
        if not self.every.data and not field.data:
            raise ValidationError(_("Choose at least one account, or every account."))


def _scopes(accounts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(ALL, str(_l("Every account (global freeze)")))] + [
        (a["name"], a["name"]) for a in accounts
    ]


def _clocks(accounts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The viewer's clock (theirs, else the organisation's), the accounts' and UTC."""
    zones = sorted({a["timezone"] for a in accounts} | {"UTC", viewer_zone()})
    return [(z, z) for z in zones]


def _bind(
    form: FreezeForm | LiftForm | TakedownForm,
    accounts: list[dict[str, Any]],
    users: list[str] | None = None,
) -> None:
    if isinstance(form, TakedownForm):
        form.accounts.choices = [(a["name"], a["name"]) for a in accounts]
        form.clock.choices = _clocks(accounts)
        form.users.choices = [(u, u) for u in users or []]
    else:
        form.account.choices = _scopes(accounts)


def _usernames(db: Session) -> list[str]:
    """Whose sessions a takedown can end: every user who can still sign in."""
    return [u.username for u in list_users(db) if not u.disabled]


def _new_takedown_form(accounts: list[dict[str, Any]]) -> TakedownForm:
    clock = viewer_zone()  # the lead's own, else the organisation's
    since = (utcnow() - DEFAULT_LOOKBACK).astimezone(ZoneInfo(clock))
    form = TakedownForm(
        formdata=None, data={"since": since.replace(tzinfo=None, second=0, microsecond=0)}
    )
    form.clock.data = clock
    return form


def render_console(
    status: int = 200, preview: dict[str, Any] | None = None, **forms: FlaskForm
) -> ResponseReturnValue:
    """The console page; ``gateway/web/alerts.py`` opens it with a takedown filled in."""
    with rt().store.session() as db:
        open_alerts = watch_alerts.unacknowledged_count(db)
        accounts, users = account_rows(db), _usernames(db)
        access_changes = [duties.change_to_dict(c) for c in duties.pending_changes(db)]
        waiting_accounts = [
            account_changes.change_to_dict(c) for c in account_changes.pending_changes(db)
        ]
        active = [freezes.freeze_to_dict(f) for f in freezes.active_freezes(db)]
        recent = [
            takedown_view.takedown_to_dict(db, t, items=False)
            for t in takedown_view.list_takedowns(db, limit=10)
        ]
        unknown = [
            (p.id, p.account.name, p.claimed_at and p.claimed_at.isoformat())
            for p in waiting_for_a_person(db)
        ]
        held = [held_row(p) for p in crisis.held_by_freeze(db)]
    freeze_form = forms.get("freeze_form") or FreezeForm(formdata=None)
    lift_form = forms.get("lift_form") or LiftForm(formdata=None, prefix="lift")
    takedown_form = forms.get("takedown_form") or _new_takedown_form(accounts)
    for form in (freeze_form, lift_form, takedown_form):
        _bind(form, accounts, users)
    lift_form.account.choices = [
        (f["account"] or ALL, f["account"] or str(_l("Every account (global freeze)")))
        for f in active
    ]
    return render_template(
        "console/home.html",
        accounts=accounts,
        freezes=active,
        takedowns=recent,
        access_changes=access_changes,
        account_changes=waiting_accounts,
        change_forms={
            c["id"]: StepUpForm(formdata=None, prefix=f"change{c['id']}") for c in waiting_accounts
        },
        me=current_user().username,
        unknown=unknown,
        held=held,
        freeze_form=freeze_form,
        lift_form=lift_form,
        takedown_form=takedown_form,
        preview=preview,
        open_alerts=open_alerts,
        step_up_fresh=step_up_fresh(),
    ), status


@bp.get("/security", endpoint="index")
@roles_required(policy.RUN_CONSOLE)
def console_home() -> ResponseReturnValue:
    return render_console()


@bp.post("/security/freeze", endpoint="freeze")
@roles_required(policy.RUN_CONSOLE)
def freeze() -> ResponseReturnValue:
    form = FreezeForm()
    with rt().store.session() as db:
        _bind(form, account_rows(db))
    if not form.validate_on_submit():
        return render_console(422, freeze_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            result = freezes.set_freeze(
                rt(),
                db,
                caller(db),
                form.account.data or None,
                form.reason.data,
                source=source_address(),
            )
            body = result.to_dict()
    except PostgateError as exc:
        show_error(form, exc)
        return render_console(exc.status, freeze_form=form)
    body["in_flight"] = freezes.confirm_freeze(rt(), result.scope)  # after the commit
    if body["already_in_force"]:
        flash(_("A freeze with this scope was already in force."), "info")
    else:
        flash(_("The freeze is in force: nothing new goes out."), "info")
    for post in body["in_flight"]:
        flash(
            _("Post %(id)s was being published already: check it on the platform.", id=post["id"]),
            "error",
        )
    return redirect(url_for("console.index"))


@bp.post("/security/freeze/lift", endpoint="lift_freeze")
@roles_required(policy.RUN_CONSOLE)
def lift_freeze() -> ResponseReturnValue:
    form = LiftForm(prefix="lift")
    with rt().store.session() as db:
        form.account.choices = _scopes(account_rows(db))
    if not form.validate_on_submit():
        return render_console(422, lift_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            done = unfreeze.lift_freeze(
                rt(), db, caller(db), form.account.data or None, source=source_address()
            )
            released = len(done.released)
    except PostgateError as exc:
        show_error(form, exc)
        return render_console(exc.status, lift_form=form)
    flash(_("The freeze is lifted."), "info")
    if released:
        flash(
            ngettext(
                "%(num)d post blocked by the freeze went back to review.",
                "%(num)d posts blocked by the freeze went back to review.",
                released,
            ),
            "info",
        )
    return redirect(url_for("console.index"))


@bp.post("/security/takedowns/preview", endpoint="preview_takedown")
@roles_required(policy.RUN_CONSOLE)
def preview_takedown() -> ResponseReturnValue:
    """What the takedown form would touch, listed from the platforms now; nothing changes
    and no code is asked. The same form, filled in, confirms it."""
    form = TakedownForm()
    with rt().store.session() as db:
        _bind(form, account_rows(db), _usernames(db))
    form.validate_on_submit()
    form.otp.errors = []
    if any(field.errors for field in form):
        return render_console(422, takedown_form=form)
    try:
        since = local_to_utc(form.since.data, form.clock.data, "since")
        preview = takedown_preview.preview_takedown(
            rt(),
            None if form.every.data else list(form.accounts.data),
            since,
            parse_scope(form.include_postgate.data, []),
        )
    except PostgateError as exc:
        show_error(form, exc, {"accounts": "accounts", "since": "since"})
        return render_console(exc.status, takedown_form=form)
    return render_console(preview=preview, takedown_form=form)


@bp.post("/security/takedowns", endpoint="start_takedown")
@roles_required(policy.RUN_CONSOLE)
def start_takedown() -> ResponseReturnValue:
    form = TakedownForm()
    with rt().store.session() as db:
        _bind(form, account_rows(db), _usernames(db))
    if not form.validate_on_submit():
        return render_console(422, takedown_form=form)
    try:
        since = local_to_utc(form.since.data, form.clock.data, "since")
        step_up(form)
        token = current_token()
        start = takedowns.start_takedown(
            rt(),
            current_user().id,
            token.id if token is not None else None,
            None if form.every.data else list(form.accounts.data),
            since,
            form.users.data or None,  # none chosen: everyone but me
            scope=parse_scope(form.include_postgate.data, []),
            source=source_address(),
        )
    except PostgateError as exc:
        show_error(form, exc, {"accounts": "accounts", "since": "since", "users": "users"})
        return render_console(exc.status, takedown_form=form)
    if start.joined:
        flash(_("Some accounts were already being taken down: this joins that takedown."), "info")
    if start.widened:
        flash(
            _(
                "The running takedown now also covers the earlier posts of %(accounts)s.",
                accounts=", ".join(start.widened),
            ),
            "info",
        )
    if start.too_late:
        flash(
            _(
                "The credentials of %(accounts)s were revoked already: their earlier posts "
                "can no longer be deleted from here. Delete them by hand on the platform.",
                accounts=", ".join(start.too_late),
            ),
            "error",
        )
    return redirect(url_for("takedowns.show", takedown_id=start.takedown.id))
