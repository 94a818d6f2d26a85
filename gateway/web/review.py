"""Reviewer pages: the queue, one post under review, approve with 2FA, reject with a reason.

The approve form is never shown to a post's author, and the service refuses such an
approval anyway (four eyes, invariant 2). A TOTP code is asked on every approval form; it
may stay empty while the session proved one within the step-up window (invariant 3).

The approve form carries the ``content_hash`` of the version the page shows (invariant 1):
when the author edited the post while the reviewer read it, the service refuses and the page
comes back showing the new version, with the words that changed since the reviewer opened it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateTimeLocalField, HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from gateway import submitted
from gateway.access import caller, roles_required
from gateway.clock import typed_to_utc, viewer_zone
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from gateway.forms import MultiCheckboxField, otp_field, show_error, step_up, step_up_fresh
from gateway.i18n import error_text, finding_text
from gateway.web import list_pages
from gateway.web.calendar_days import calendar_days
from gateway.web.collab import CommentForm, post_previews
from gateway.web.textview import highlight, word_diff
from postgate import policy
from postgate.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    PostgateError,
    RateLimited,
    ValidationFailed,
)
from postgate.services import bulk_review, posts, review
from postgate.services.late_approval import time_passed
from postgate.services.listing import Sort
from postgate.services.media import media_rows
from postgate.states import PostStatus
from postgate.store.models import Post, PostRevision, User
from postgate.store.types import utcnow

bp = Blueprint("review", __name__)
AROUND_DAYS = 3
SHOWN_ERRORS = (Conflict, Forbidden, NotAuthenticated, RateLimited, ValidationFailed)


class ApproveForm(FlaskForm):
    content_hash = HiddenField()  # the version shown; set by the page, never by the reviewer
    otp = otp_field()
    acknowledge = MultiCheckboxField(
        _l("Flags I have checked"),
        description=_l("Tick each flagged finding to confirm you checked it."),
        validate_choice=False,  # the service decides which flags still need acknowledging
    )
    # Only for a post whose time has passed (review/_late.html, postgate.services.late_approval)
    late = RadioField(
        _l("Its scheduled time has passed"),
        choices=[("now", _l("Publish it now")), ("new", _l("Pick a new time"))],
        validators=[Optional()],
    )
    new_time = DateTimeLocalField(
        _l("New time"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )

    def time_choice(self) -> tuple[bool, datetime | None]:
        """``publish_now`` and the new time (UTC) the reviewer chose, for the service."""
        if self.late.data != "new":
            return self.late.data == "now", None
        if self.new_time.data is None:
            raise ValidationFailed("give the new time", field="new_time")
        return False, typed_to_utc(self.new_time.data, "new_time")

    def error_fields(self) -> dict[str, str]:
        """The service's field names, as this form names them."""
        time_field = "new_time" if self.late.data == "new" else "late"
        return {
            "otp": "otp",
            "acknowledge": "acknowledge",
            "scheduled_at": time_field,
            "publish_now": "late",
            "new_time": "new_time",
        }


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("The author sees this reason."),
        validators=[DataRequired(message=_l("Give a reason.")), Length(max=1000)],
    )


class BulkRejectForm(RejectForm):
    """The queue's "Reject selected": the ticked posts (``posts``) and one reason."""

    posts = MultiCheckboxField(_l("Select"), validate_choice=False)

    def post_ids(self) -> list[int]:
        return [int(v) for v in self.posts.data or [] if str(v).isdigit() and len(str(v)) < 12]

    def validate_posts(self, field: MultiCheckboxField) -> None:
        if not self.post_ids():
            raise ValidationError(_("Select at least one post."))


def flag_choices(post: Post) -> list[tuple[str, str]]:
    flags = {f["rule"]: finding_text(f) for f in post.findings or [] if f["severity"] == "flag"}
    return sorted((rule, f"{rule}: {message}") for rule, message in flags.items())


def diff_base(post: Post) -> PostRevision | None:
    """The revision the last approval was given to, else the previous revision."""
    older = sorted((r for r in post.revisions if r.revision < post.revision), key=_revision)
    approved = {a.content_hash for a in post.approvals}
    for revision in reversed(older):
        if revision.content_hash in approved:
            return revision
    return older[-1] if older else None


def _revision(revision: PostRevision) -> int:
    return revision.revision


def seen_revision(post: Post, seen_hash: str | None) -> PostRevision | None:
    """The revision the reviewer was shown, when it is not the current one."""
    if not seen_hash or seen_hash == post.content_hash:
        return None
    shown = [r for r in post.revisions if r.content_hash == seen_hash]
    return max(shown, key=_revision) if shown else None


@bp.get("/review", endpoint="queue")
@roles_required(policy.REVIEW_POSTS)
def queue() -> ResponseReturnValue:
    return _queue_page(BulkRejectForm(formdata=None))


def _queue_page(form: BulkRejectForm, status: int = 200) -> ResponseReturnValue:
    """Others' posts waiting for review, oldest first, a page at a time, filtered."""
    wanted = list_pages.post_query(Sort.OLDEST, status=PostStatus.PENDING_REVIEW, others_only=True)
    return list_pages.posts_page("review/queue.html", "review", wanted, form=form), status


@bp.post("/review/reject-selected", endpoint="reject_selected")
@roles_required(policy.REVIEW_POSTS)
def reject_selected() -> ResponseReturnValue:
    """Reject the ticked posts with one reason: each one as a single rejection would (same
    checks, its own audit entry); all or none, so a refusal names the post and changes
    nothing."""
    form = BulkRejectForm()
    if not form.validate_on_submit():
        return _queue_page(form, 422)
    try:
        with rt().store.transaction() as db:
            done = bulk_review.reject_many(
                rt(), db, caller(db), form.post_ids(), form.reason.data, source=source_address()
            )
    except SHOWN_ERRORS as exc:
        post_id = getattr(exc, "post_id", None)
        if post_id is None or exc.field == "reason":
            show_error(form, exc, {"reason": "reason"})
        else:
            flash(
                _("Nothing rejected: post #%(id)d: %(error)s", id=post_id, error=error_text(exc)),
                "error",
            )
        return _queue_page(form, exc.status)
    for post in done:
        dispatch_after_commit(post)
    flash(
        ngettext(
            "%(num)d post rejected; each author sees your reason.",
            "%(num)d posts rejected; each author sees your reason.",
            len(done),
        )
    )
    return redirect(url_for("review.queue"))


def _review_page(
    db: Session,
    user: User,
    post_id: int,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
    changed: PostgateError | None = None,
) -> ResponseReturnValue:
    post = posts.visible_post(db, user, post_id)
    base = diff_base(post)
    seen = seen_revision(post, approve_form.content_hash.data if approve_form else None)
    zone = ZoneInfo(post.account.timezone)
    center = (post.scheduled_at or utcnow()).astimezone(zone).date()
    first = center - timedelta(days=AROUND_DAYS)
    approve_form = approve_form or ApproveForm(formdata=None)
    approve_form.acknowledge.choices = flag_choices(post)
    approve_form.content_hash.data = post.content_hash  # what this page shows
    approve_form.new_time.description = _("On your clock (%(tz)s).", tz=viewer_zone())
    return render_template(
        "review/post.html",
        post=post,
        pieces=highlight(post.text, post.findings),
        media_rows=media_rows(db, post.media or []),
        base=base,
        diff=word_diff(base.text, post.text) if base else [],
        changed=error_text(changed) if changed else None,
        seen=seen,
        seen_diff=word_diff(seen.text, post.text) if seen else [],
        days=calendar_days(rt(), db, user, post.account, first, 2 * AROUND_DAYS + 1),
        center=center,
        own=post.author_id == user.id,
        late=time_passed(post),
        reviewable=post.status == PostStatus.PENDING_REVIEW and post.author_id != user.id,
        approvals=posts.post_to_dict(post)["approvals"],
        approve_form=approve_form,
        reject_form=reject_form or RejectForm(formdata=None),
        step_up_fresh=step_up_fresh(),
        previews=post_previews(post),
        comment_form=CommentForm(formdata=None),
        warnings=submitted.ahead_warnings(db, post),
    ), status


@bp.get("/review/<int:post_id>", endpoint="post")
@roles_required(policy.REVIEW_POSTS)
def review_post(post_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        return _review_page(db, caller(db), post_id)


@bp.post("/review/<int:post_id>/approve", endpoint="approve")
@roles_required(policy.REVIEW_POSTS)
def approve(post_id: int) -> ResponseReturnValue:
    form = ApproveForm()
    with rt().store.session() as db:
        form.acknowledge.choices = flag_choices(posts.visible_post(db, caller(db), post_id))
    if not form.validate_on_submit():
        return _rerender(post_id, approve_form=form, status=422)
    try:
        publish_now, new_time = form.time_choice()
        step_up(form)
        with rt().store.transaction() as db:
            done = review.approve(
                rt(),
                db,
                caller(db),
                post_id,
                form.acknowledge.data or [],
                content_hash=form.content_hash.data or "",
                source=source_address(),
                publish_now=publish_now,
                new_time=new_time,
            )
            status = done.status
    except Conflict as exc:
        if exc.field != "content_hash":
            show_error(form, exc, form.error_fields())
        return _rerender(
            post_id,
            approve_form=form,
            status=exc.status,
            changed=exc if exc.field == "content_hash" else None,
        )
    except SHOWN_ERRORS as exc:
        show_error(form, exc, form.error_fields())
        return _rerender(post_id, approve_form=form, status=exc.status)
    dispatch_after_commit(done)
    if status == PostStatus.BLOCKED:
        flash(_("The current rules block this post; it went back to its author."), "error")
    else:
        flash(_("Approved."))
    return redirect(url_for("review.queue"))


@bp.post("/review/<int:post_id>/reject", endpoint="reject")
@roles_required(policy.REVIEW_POSTS)
def reject(post_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate_on_submit():
        return _rerender(post_id, reject_form=form, status=422)
    try:
        with rt().store.transaction() as db:
            done = review.reject(
                rt(), db, caller(db), post_id, form.reason.data, source=source_address()
            )
    except SHOWN_ERRORS as exc:
        show_error(form, exc, {"reason": "reason"})
        return _rerender(post_id, reject_form=form, status=exc.status)
    dispatch_after_commit(done)
    flash(_("Rejected; the author sees your reason."))
    return redirect(url_for("review.queue"))


def _rerender(post_id: int, **forms: object) -> ResponseReturnValue:
    with rt().store.session() as db:
        return _review_page(db, caller(db), post_id, **forms)  # type: ignore[arg-type]
