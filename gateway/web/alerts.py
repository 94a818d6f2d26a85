"""The watch's alerts in the security console: the evidence, acknowledging, the automatic
freeze of each account, and "take down from here".

"Take down from here" opens the crisis console with its takedown form filled in for the
alert's account, from just before the first unauthorized post still unacknowledged there
(``postgate.services.watch_alerts.takedown_since``), in the account's time zone, and shows
that takedown's preview at once; the lead confirms it with a code, as any takedown.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField

from gateway.access import caller, roles_required
from gateway.context import rt, source_address
from gateway.forms import ActionForm, otp_field, show_error, step_up, step_up_fresh
from gateway.web import console
from gateway.web.account_rows import account_rows
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import takedown_preview, watch_alerts
from postgate.services.accounts import find_account
from postgate.services.takedown_scope import parse_scope

bp = Blueprint("alerts", __name__)


class WatchForm(FlaskForm):
    auto_freeze = BooleanField()
    otp = otp_field()


def _page(status: int = 200, form_for: str | None = None, form: FlaskForm | None = None):
    with rt().store.session() as db:
        shown = [watch_alerts.alert_to_dict(db, a) for a in watch_alerts.list_alerts(db)]
        accounts = [
            watch_alerts.watch_to_dict(db, find_account(db, a["name"])) for a in account_rows(db)
        ]
    forms = {}
    for a in accounts:
        given = form if form_for == a["account"] and form is not None else None
        forms[a["account"]] = given or WatchForm(
            formdata=None, prefix=f"w-{a['account']}", data={"auto_freeze": a["auto_freeze"]}
        )
    return render_template(
        "console/alerts.html",
        alerts=shown,
        accounts=accounts,
        watch_forms=forms,
        ack_form=ActionForm(formdata=None),
        step_up_fresh=step_up_fresh(),
    ), status


@bp.get("/security/alerts", endpoint="index")
@roles_required(policy.RUN_CONSOLE)
def alerts_page() -> ResponseReturnValue:
    return _page()


@bp.post("/security/alerts/<int:alert_id>/acknowledge", endpoint="acknowledge")
@roles_required(policy.RUN_CONSOLE)
def acknowledge(alert_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        return _page(400)
    try:
        with rt().store.transaction() as db:
            watch_alerts.acknowledge(rt(), db, caller(db), alert_id, source=source_address())
    except PostgateError as exc:
        flash(exc.message, "error")
        return _page(exc.status)
    flash(_("Alert acknowledged."), "info")
    return redirect(url_for("alerts.index"))


@bp.post("/security/accounts/<name>/watch", endpoint="settings")
@roles_required(policy.RUN_CONSOLE)
def watch_settings(name: str) -> ResponseReturnValue:
    form = WatchForm(prefix=f"w-{name}")
    if not form.validate_on_submit():
        return _page(422, name, form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            watch_alerts.set_auto_freeze(
                rt(), db, caller(db), name, bool(form.auto_freeze.data), source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc)
        return _page(exc.status, name, form)
    if form.auto_freeze.data:
        flash(_("%(account)s will be frozen at the watch's first alert.", account=name), "info")
    else:
        flash(_("%(account)s will no longer be frozen by the watch.", account=name), "info")
    return redirect(url_for("alerts.index"))


@bp.get("/security/alerts/<int:alert_id>/takedown", endpoint="takedown")
@roles_required(policy.RUN_CONSOLE)
def take_down_from_here(alert_id: int) -> ResponseReturnValue:
    """The crisis console, its takedown form filled in from the alert, with the preview."""
    try:
        with rt().store.session() as db:
            alert = watch_alerts.load_alert(db, alert_id)
            name, zone = alert.account.name, alert.account.timezone
            since = watch_alerts.takedown_since(db, alert)
    except PostgateError as exc:
        flash(exc.message, "error")
        return _page(exc.status)
    local = since.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
    form = console.TakedownForm(formdata=None, data={"since": local, "accounts": [name]})
    form.clock.data = zone
    try:
        preview = takedown_preview.preview_takedown(rt(), [name], since, parse_scope("none", []))
    except PostgateError as exc:
        flash(exc.message, "error")
        preview = None
    return console.render_console(preview=preview, takedown_form=form)
