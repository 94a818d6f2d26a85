"""The notification pages: each person's list (its unread count is in every page's header),
their language, e-mail address and own channels, and (admins) the organisation's channels.

A channel's Apprise URL is typed once and never shown again: the pages show its name and
kind. Changing the organisation's channels needs 2FA: removing one may silence alerts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from gateway.access import caller, login_required, roles_required, signed_in_user
from gateway.context import rt, source_address
from gateway.forms import ActionForm, MultiCheckboxField, choice, otp_field, show_error, step_up
from gateway.reasons import notification_params
from postgate import policy
from postgate.errors import PostgateError
from postgate.notifications import channels, inbox
from postgate.notifications.kinds import Audience

bp = Blueprint("notifications", __name__)

AUDIENCE_LABELS = {
    "security": _l("Security alerts and watch alerts"),
    "reviews": _l("Posts awaiting review"),
    "posts": _l("What became of posts"),
}


class PreferencesForm(FlaskForm):
    language = SelectField(
        _l("Language of my messages"), choices=[choice("fr", "Français"), choice("en", "English")]
    )
    email = StringField(
        _l("E-mail address"),
        description=_l("Leave empty to receive no e-mail."),
        validators=[Optional(), Length(max=254)],
    )


class ChannelForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    url = StringField(
        _l("Apprise URL"),
        description=_l("For example slack://..., msteams://..., mmost://..., json://..."),
        validators=[DataRequired(), Length(max=2000)],
    )


class OrgChannelForm(ChannelForm):
    audiences = MultiCheckboxField(
        _l("Receives"), choices=[choice(a.value, a.value) for a in Audience], default=["security"]
    )
    otp = otp_field()


class RemoveOrgChannelForm(FlaskForm):
    otp = otp_field()


@bp.app_context_processor
def unread_badge() -> dict[str, Any]:
    """``unread_notifications()`` for the header: the signed-in person's unread count."""

    def unread_notifications() -> int:
        user = signed_in_user()
        if user is None:
            return 0
        with rt().store.session() as db:
            return inbox.unread_count(db, user)

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    with rt().store.session() as db:
        me = caller(db)
        items = [
            inbox.notification_to_dict(i, str(get_locale()), notification_params)
            for i in inbox.list_notifications(db, me, limit=100)
        ]
    return render_template("notifications/index.html", items=items, form=ActionForm())


@bp.post("/notifications/read")
@login_required
def mark_read() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        with rt().store.transaction() as db:
            inbox.mark_read(db, caller(db), None)
    return redirect(url_for("notifications.index"))


def _settings_page(
    form: PreferencesForm, add: ChannelForm, status: int = 200
) -> ResponseReturnValue:
    with rt().store.session() as db:
        me = caller(db)
        prefs = channels.preferences(rt(), db, me)
        mine = [channels.channel_to_dict(c) for c in channels.list_channels(db, me)]
    if not form.is_submitted():
        form.language.data, form.email.data = prefs["language"], prefs["email"] or ""
    return (
        render_template(
            "notifications/settings.html",
            form=form,
            add=add,
            remove=ActionForm(),
            prefs=prefs,
            channels=mine,
        ),
        status,
    )


@bp.get("/me/notifications")
@login_required
def settings() -> ResponseReturnValue:
    return _settings_page(PreferencesForm(formdata=None), ChannelForm(formdata=None))


@bp.post("/me/notifications")
@login_required
def save_settings() -> ResponseReturnValue:
    form = PreferencesForm()
    if not form.validate_on_submit():
        return _settings_page(form, ChannelForm(formdata=None), 422)
    changes = {"language": form.language.data, "email": (form.email.data or "").strip()}
    try:
        with rt().store.transaction() as db:
            channels.set_preferences(rt(), db, caller(db), changes, source=source_address())
    except PostgateError as exc:
        show_error(form, exc)
        return _settings_page(form, ChannelForm(formdata=None), exc.status)
    flash(_l("Saved."), "success")
    return redirect(url_for("notifications.settings"))


@bp.post("/me/notifications/channels")
@login_required
def add_channel() -> ResponseReturnValue:
    add = ChannelForm()
    if not add.validate_on_submit():
        return _settings_page(PreferencesForm(formdata=None), add, 422)
    try:
        with rt().store.transaction() as db:
            me = caller(db)
            channels.add_channel(
                rt(),
                db,
                me,
                owner=me,
                name=add.name.data,
                url=add.url.data,
                source=source_address(),
            )
    except PostgateError as exc:
        add.url.data = ""
        show_error(add, exc)
        return _settings_page(PreferencesForm(formdata=None), add, exc.status)
    flash(_l("Channel added."), "success")
    return redirect(url_for("notifications.settings"))


@bp.post("/me/notifications/channels/<int:channel_id>/remove")
@login_required
def remove_channel(channel_id: int) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        try:
            with rt().store.transaction() as db:
                me = caller(db)
                channels.remove_channel(rt(), db, me, channel_id, owner=me, source=source_address())
        except PostgateError as exc:
            show_error(ActionForm(), exc)
    return redirect(url_for("notifications.settings"))


def _org_page(add: OrgChannelForm, status: int = 200) -> ResponseReturnValue:
    with rt().store.session() as db:
        rows = [channels.channel_to_dict(c) for c in channels.list_channels(db, None)]
    return (
        render_template(
            "notifications/organisation.html",
            add=add,
            remove=RemoveOrgChannelForm(formdata=None),
            channels=rows,
            security_urls=len(rt().settings.notify_urls),
            labels=AUDIENCE_LABELS,
        ),
        status,
    )


@bp.get("/admin/notifications")
@roles_required(policy.ADMINISTER)
def organisation() -> ResponseReturnValue:
    return _org_page(OrgChannelForm(formdata=None))


@bp.post("/admin/notifications/channels")
@roles_required(policy.ADMINISTER)
def add_org_channel() -> ResponseReturnValue:
    add = OrgChannelForm()
    if not add.validate_on_submit():
        return _org_page(add, 422)
    try:
        step_up(add)
        with rt().store.transaction() as db:
            channels.add_channel(
                rt(),
                db,
                caller(db),
                owner=None,
                name=add.name.data,
                url=add.url.data,
                audiences=list(add.audiences.data or []),
                source=source_address(),
            )
    except PostgateError as exc:
        add.url.data = ""
        show_error(add, exc)
        return _org_page(add, exc.status)
    flash(_l("Channel added."), "success")
    return redirect(url_for("notifications.organisation"))


@bp.post("/admin/notifications/channels/<int:channel_id>/remove")
@roles_required(policy.ADMINISTER)
def remove_org_channel(channel_id: int) -> ResponseReturnValue:
    form = RemoveOrgChannelForm()
    if form.validate_on_submit():
        try:
            step_up(form)
            with rt().store.transaction() as db:
                channels.remove_channel(
                    rt(), db, caller(db), channel_id, owner=None, source=source_address()
                )
            flash(_l("Channel removed."), "success")
        except PostgateError as exc:
            show_error(form, exc)
    return redirect(url_for("notifications.organisation"))
