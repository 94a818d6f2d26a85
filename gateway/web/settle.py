"""A post's outcome, from its page: settle one whose outcome is unknown (reviewer or
security lead, 2FA), retry one that failed (reviewer, 2FA).

The same services as ``POST /api/v1/posts/{id}/settle`` (the person who looked at the
platform says where the post is, or that it is not there) and ``/retry`` (back on the
schedule as it is, its approvals still bound to its content).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf, Length, Optional

from gateway.access import caller, roles_required
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from gateway.forms import StepUpForm, flash_error, step_up
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import retrying, settling
from postgate.states import PostStatus
from postgate.store.models import Post, User

bp = Blueprint("settle", __name__)
OUTCOMES = ("published", "not_published")


class SettleForm(StepUpForm):
    """The post's address when it is on the platform; the button says which outcome."""

    live_url = StringField(
        _l("Address of the post on the platform"),
        validators=[Optional(), Length(max=settling.MAX_URL)],
    )
    outcome = StringField(validators=[AnyOf(OUTCOMES)])  # which button was pressed


def may_settle(user: User, post: Post) -> bool:
    """Whether the post's page offers the settle form; the service checks everything again."""
    return user.has_role(*policy.SETTLE_POSTS) and settling.outcome_unknown(post)


def may_retry(user: User, post: Post) -> bool:
    """Whether the post's page offers the retry button; the service checks everything again."""
    return user.has_role(*policy.RETRY_POSTS) and post.status == PostStatus.FAILED


@bp.post("/posts/<int:post_id>/retry", endpoint="retry")
@roles_required(policy.RETRY_POSTS)
def retry(post_id: int) -> ResponseReturnValue:
    form = StepUpForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            post = retrying.retry_failed(rt(), db, caller(db), post_id, source=source_address())
    except PostgateError as exc:
        flash_error(exc)
    else:
        dispatch_after_commit(post)
        flash(_("The post is back on the schedule, as it was approved."))
    return redirect(url_for("posts.detail", post_id=post_id))


@bp.post("/posts/<int:post_id>/settle", endpoint="settle")
@roles_required(policy.SETTLE_POSTS)
def settle(post_id: int) -> ResponseReturnValue:
    form = SettleForm()
    if not form.validate_on_submit():
        abort(400)
    published = form.outcome.data == "published"
    try:
        step_up(form)
        with rt().store.transaction() as db:
            settling.settle(
                rt(),
                db,
                caller(db),
                post_id,
                live_url=(form.live_url.data or "").strip() or None if published else None,
                not_published=not published,
                source=source_address(),
            )
    except PostgateError as exc:
        flash_error(exc)
    else:
        flash(
            _("Settled: the post is published there.")
            if published
            else _("Settled: the post was not published.")
        )
    return redirect(url_for("posts.detail", post_id=post_id))
