"""Author pages: compose a post (with live checks), my posts, one post's history, edit, cancel.

Views parse a form, call the same services as the API and render. A scheduled time is typed
on the viewer's own clock (``datetime-local``, the zone named beside it; ``gateway/clock.py``)
and converted to UTC here; with several accounts, every post is scheduled at that moment.
During a freeze the compose page offers the statement templates (``?template=NAME`` fills
the text in; ``posts/_statement_templates.html``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateTimeLocalField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gateway import submitted
from gateway.access import caller, login_required, roles_required
from gateway.clock import typed_to_utc, utc_to_typed, viewer_zone
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from gateway.forms import ActionForm, MultiCheckboxField, show_error
from gateway.i18n import finding_text
from gateway.web import list_pages
from gateway.web.account_rows import accounts_info
from gateway.web.calendar import prefilled_time
from gateway.web.collab import CommentForm, post_previews, variant_texts
from gateway.web.crisis import chosen_template, may_mark_crisis, statement_templates_offered
from gateway.web.settle import SettleForm, may_retry, may_settle
from gateway.web.textview import highlight
from postgate import policy
from postgate.errors import PostgateError, ValidationFailed
from postgate.platforms.registry import platform_spec
from postgate.services import drafts, posts
from postgate.services.account_warnings import account_warning
from postgate.services.accounts import find_account
from postgate.services.checking import evaluate
from postgate.services.media import attach, draft_images, media_rows
from postgate.services.quotas import quota_warning
from postgate.services.server_limits import account_limits
from postgate.states import CANCELLABLE, EDITABLE, PostStatus, Role
from postgate.store.models import Account, Post
from postgate.timeparse import date_in_range
from rules import count_length

bp = Blueprint("posts", __name__)
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class EditForm(FlaskForm):
    """The text, the time and the images; composing adds the accounts."""

    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=posts.MAX_TEXT)])
    scheduled_at = DateTimeLocalField(
        _l("Publish at"),
        format=LOCAL_FORMATS,
        # replaced per request by on_my_clock(), which names the viewer's zone
        description=_l("Leave empty to publish as soon as approved."),
        validators=[Optional()],
    )
    # The images, as compose_media.js keeps them: JSON [{"id", "alt"}], in order.
    media = HiddenField()


class ComposeForm(EditForm):
    accounts = MultiCheckboxField(
        _l("Accounts"),
        description=_l("One post is made for each account you tick."),
        validators=[DataRequired(message=_l("Choose at least one account."))],
    )


def media_field(raw: str | None) -> list[dict[str, Any]]:
    """The compose form's images: ``[{"id", "alt"}]`` from its hidden JSON field."""
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValidationFailed(
            "the images could not be read; add them again", field="media"
        ) from None
    ok = isinstance(value, list) and all(
        isinstance(m, dict)
        and isinstance(m.get("id"), int)
        and not isinstance(m.get("id"), bool)
        and isinstance(m.get("alt", ""), str)
        for m in value
    )
    if not ok:
        raise ValidationFailed("the images could not be read; add them again", field="media")
    return [{"id": m["id"], "alt": m.get("alt", "")} for m in value]


def on_my_clock(form: EditForm) -> EditForm:
    """Name the viewer's zone beside the time field: a typed time is read on their clock."""
    form.scheduled_at.description = _(
        "On your clock (%(tz)s). Leave empty to publish as soon as approved.", tz=viewer_zone()
    )
    return form


def _compose_page(form: ComposeForm, accounts: list[dict[str, Any]], status: int = 200):
    on_my_clock(form)
    with rt().store.session() as db:
        templates = statement_templates_offered(db)
    chosen = chosen_template(templates, request.args.get("template"))
    if chosen is not None and request.method == "GET":
        form.text.data = chosen
    variants = variant_texts(request.form, [a["name"] for a in accounts])
    return render_template(
        "posts/compose.html",
        form=form,
        accounts=accounts,
        statement_templates=templates,
        variants=variants,
    ), status


@bp.route("/compose", methods=["GET", "POST"], endpoint="compose")
@roles_required(policy.WRITE_POSTS)
def compose() -> ResponseReturnValue:
    with rt().store.session() as db:
        accounts = accounts_info(db)
    form = ComposeForm()
    form.accounts.choices = [(a["name"], a["name"]) for a in accounts]
    if not form.validate_on_submit():
        return _compose_page(form, accounts, 422 if request.method == "POST" else 200)
    try:
        created = _submit_all(form)
    except PostgateError as exc:
        fields = {
            "text": "text",
            "scheduled_at": "scheduled_at",
            "account": "accounts",
            "media": "text",
        }
        show_error(form, exc, fields)
        return _compose_page(form, accounts, exc.status)
    for post in created:
        dispatch_after_commit(post)
    for category, message in submitted.flashes(created):
        flash(message, category)
    for message in _post_warnings(created):
        flash(message, "warning")
    if len(created) == 1:
        return redirect(url_for("posts.detail", post_id=created[0].id))
    return redirect(url_for("posts.list"))


def _is_draft() -> bool:
    """Whether the author pressed "Save as draft" rather than "Send for review"."""
    return request.form.get("draft") == "1"


def _quota_text(db: Session, account: Account, when: datetime | None) -> str | None:
    """The quota warning for one more post on ``account`` at ``when``, in words."""
    warning = quota_warning(db, account, when)
    return finding_text(warning) if warning else None


def _account_text(account: Account) -> str | None:
    """The warning that ``account`` cannot publish until an administrator acts, in words."""
    warning = account_warning(account)
    return finding_text(warning) if warning else None


def _post_warnings(created: list[Post]) -> list[str]:
    """What the accounts' state and the platforms' posting quotas say about the posts just
    stored, in words: the API answer's ``warnings`` (``gateway.submitted``), post by post."""
    with rt().store.session() as db:
        stored = [post for post in (db.get(Post, p.id) for p in created) if post is not None]
        return [w["message"] for post in stored for w in submitted.post_warnings(db, post)]


def _submit_all(form: ComposeForm) -> list[Post]:
    """One post per account, all in one transaction: all are stored, or none. An account
    given a text of its own (``variant-NAME``) gets it instead of the main text."""
    images = media_field(form.media.data)
    variants = variant_texts(request.form, list(form.accounts.data or []))
    with rt().store.transaction() as db:
        user = caller(db)
        made = []
        for name in form.accounts.data:
            when = typed_to_utc(form.scheduled_at.data)
            made.append(
                posts.submit(
                    rt(),
                    db,
                    user,
                    name,
                    variants.get(name, form.text.data),
                    when,
                    media=images,
                    source=source_address(),
                    draft=_is_draft(),
                )
            )
        return made


@bp.post("/compose/check", endpoint="check")
@roles_required(policy.WRITE_POSTS)
def compose_check() -> ResponseReturnValue:
    """Findings and character counts for a draft, per account (with the text of its own
    that ``variants`` may give it); nothing is stored."""
    data = request.get_json(silent=True) or {}
    names, text = data.get("accounts") or [], data.get("text") or ""
    if not isinstance(names, list) or not isinstance(text, str):
        raise ValidationFailed("accounts must be a list and text a string", field="text")
    local = _parse_local(data.get("scheduled_at"))
    raw_media = data.get("media")
    given = data.get("variants")
    variants: dict[str, Any] = given if isinstance(given, dict) else {}
    common, results = text, []
    with rt().store.session() as db:
        user = caller(db)
        for name in [n for n in names if isinstance(n, str)][:20]:
            account = find_account(db, name)
            own = variants.get(account.name)
            text = own if isinstance(own, str) and own.strip() else common
            when = typed_to_utc(local)
            images = _checked_images(db, user, account, raw_media)
            result = evaluate(rt(), db, account, text[: posts.MAX_TEXT], when, images=images)
            used, limit = count_length(
                text, account_limits(account) or platform_spec(account.platform).limits
            )
            results.append(
                {
                    "account": account.name,
                    "platform": account.platform,
                    "timezone": account.timezone,
                    "text": text,
                    "used": used,
                    "limit": limit,
                    "blocked": result.blocked,
                    "findings": [_shown(f.to_dict()) for f in result.findings],
                    "quota": _quota_text(db, account, when),
                    "account_warning": _account_text(account),
                }
            )
    return jsonify({"results": results})


def _checked_images(db: Session, user: Any, account: Account, raw: object) -> list[Any]:
    """The draft's images for the live check: the author's own uploads only, else none."""
    try:
        entries = media_field(json.dumps(raw)) if isinstance(raw, list) else []
        return draft_images(db, attach(db, user, account, entries, len(entries)))
    except PostgateError:
        return []


def _shown(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as the API gives it, plus ``display``: its message in the reader's language."""
    return {**finding, "display": finding_text(finding)}


def _parse_local(value: object) -> datetime | None:
    """A time being typed, or None while it is not one Postgate handles (checked as undated)."""
    for fmt in LOCAL_FORMATS:
        try:
            local = datetime.strptime(str(value), fmt)  # noqa: DTZ007 - zone added per account
        except ValueError:
            continue
        return local if date_in_range(local.date()) else None
    return None


@bp.get("/posts", endpoint="list")
@roles_required(policy.WRITE_POSTS)
def posts_list() -> ResponseReturnValue:
    """The caller's own posts, newest first, a page at a time, filtered."""
    return list_pages.posts_page("posts/list.html", "mine", list_pages.post_query(own_only=True))


@bp.get("/posts/all", endpoint="all")
@roles_required(policy.SEE_ALL_POSTS)
def all_posts() -> ResponseReturnValue:
    """Every post (security, admins, reviewers), newest first, a page at a time, filtered."""
    return list_pages.posts_page("posts/all.html", "all", list_pages.post_query())


@bp.get("/posts/<int:post_id>", endpoint="detail")
@login_required
def post(post_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        user = caller(db)
        found = posts.visible_post(db, user, post_id)
        return render_template(
            "posts/detail.html",
            post=found,
            pieces=highlight(found.text, found.findings),
            media_rows=media_rows(db, found.media or []),
            valid=posts.post_to_dict(found)["approvals"],
            can_edit=found.author_id == user.id and found.status in EDITABLE,
            can_cancel=_may_cancel(user, found),
            can_review=user.has_role(*policy.REVIEW_POSTS) and found.author_id != user.id,
            can_mark_crisis=may_mark_crisis(db, user, found),
            settle_form=SettleForm(formdata=None) if may_settle(user, found) else None,
            can_retry=may_retry(user, found),
            action_form=ActionForm(),
            can_submit_draft=found.author_id == user.id and found.status == PostStatus.DRAFT,
            rejection=posts.rejection(found),
            previews=post_previews(found),
            comment_form=CommentForm(formdata=None),
            warnings=submitted.ahead_warnings(db, found),
        )


def _may_cancel(user: Any, post: Post) -> bool:
    allowed = post.author_id == user.id or user.has_role(Role.SECURITY, Role.ADMIN)
    return allowed and post.status in CANCELLABLE


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"], endpoint="edit")
@roles_required(policy.WRITE_POSTS)
def edit(post_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        found = posts.visible_post(db, caller(db), post_id)
        if found.author_id != caller(db).id:
            abort(403)
        voidable = len(posts.post_to_dict(found)["approvals"])
        shown = {
            "text": found.text,
            "scheduled_at": utc_to_typed(prefilled_time(request.args) or found.scheduled_at),
            "media": json.dumps([{"id": m["id"], "alt": m["alt"]} for m in found.media or []]),
        }
        form = on_my_clock(EditForm(data=shown if request.method == "GET" else None))
        page = {
            "post": found,
            "form": form,
            "voidable": voidable,
            "previews": post_previews(found),
            "is_draft": found.status == PostStatus.DRAFT,
        }
        if not form.validate_on_submit():
            status = 422 if request.method == "POST" else 200
            return render_template("posts/edit.html", **page), status
    try:
        changes = {
            "text": form.text.data,
            "scheduled_at": typed_to_utc(form.scheduled_at.data),
            "media": media_field(form.media.data),
        }
        with rt().store.transaction() as db:
            saved, old_revision = posts.edit(
                rt(), db, caller(db), post_id, changes, source=source_address()
            )
            if page["is_draft"] and not _is_draft():  # "Save and send for review"
                saved = drafts.submit_draft(rt(), db, caller(db), post_id, source=source_address())
            sent = submitted.flashes([saved])
    except PostgateError as exc:
        show_error(form, exc, {"text": "text", "scheduled_at": "scheduled_at", "media": "text"})
        with rt().store.session() as db:
            page["post"] = posts.visible_post(db, caller(db), post_id)
            return render_template("posts/edit.html", **page), exc.status
    dispatch_after_commit(saved, old_revision)
    if page["is_draft"]:
        for category, message in sent:
            flash(message, category)
    else:
        flash(_("Saved. The post is back in review; earlier approvals no longer count."))
    return redirect(url_for("posts.detail", post_id=post_id))


@bp.post("/posts/<int:post_id>/cancel", endpoint="cancel")
@login_required
def cancel(post_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    with rt().store.transaction() as db:
        done = posts.cancel(rt(), db, caller(db), post_id, source=source_address())
    dispatch_after_commit(done)
    flash(_("The post is cancelled."))
    return redirect(url_for("posts.detail", post_id=post_id))
