"""``/api/v1/posts``: submit, read, edit, approve, reject, cancel, settle, retry."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.orm import Session

from gateway import cursors, submitted
from gateway.access import caller
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.types import (
    AwareTime,
    Body,
    Limited,
    Query,
    SteppedUp,
    Text,
    column_length,
    one_of,
)
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from postgate import policy
from postgate.errors import PostgateError, ValidationFailed
from postgate.services import (
    bulk_review,
    listing,
    media,
    post_lists,
    posts,
    retrying,
    review,
    settling,
)
from postgate.services.post_lists import PostQuery
from postgate.store.models import POST_STATUSES, Account, User
from postgate.store.types import INT_MAX

bp = ApiBlueprint("posts", __name__, tag="posts")

PostText = Annotated[Text, Field(max_length=posts.MAX_TEXT)]


class MediaRef(Body):
    """One image of a post, in the order it shows: an upload of the author's
    (``POST /media``) and its alternative text (the ``alt_text`` rule requires one)."""

    id: Annotated[int, Field(ge=1, le=INT_MAX)]
    alt: Limited(media.MAX_DESCRIPTION) = ""  # type: ignore[valid-type]


PostMedia = Annotated[
    list[MediaRef],
    Field(max_length=10, description="The images, in order; each platform takes at most 4."),
]


class NewPost(Body):
    account: Limited(column_length(Account.name))  # type: ignore[valid-type]
    text: PostText
    scheduled_at: AwareTime | None = Field(
        default=None, description="With its UTC offset; absent: as soon as it is approved."
    )
    media: PostMedia | None = None
    draft: bool = Field(
        default=False,
        description="true: save a `draft` (no review) that `POST /posts/{id}/submit` sends later.",
    )


class PostEdit(Body):
    """Give ``text``, ``scheduled_at``, ``media`` or several; ``scheduled_at: null``
    unschedules, ``media: []`` removes the images (``media`` replaces the whole list)."""

    text: PostText | None = None
    scheduled_at: AwareTime | None = None
    media: PostMedia | None = None


class ApprovalRequest(SteppedUp):
    content_hash: Annotated[
        Text,
        Field(
            max_length=64,
            description="The post's `content_hash` as the reviewer was shown it; a post "
            "that changed since is refused (409 `conflict`, field `content_hash`).",
        ),
    ]
    acknowledge: Annotated[
        list[Text] | None,
        ValidationFailed("acknowledge must be a list of rule ids", field="acknowledge"),
        Field(description="Rule ids of the flagged findings the reviewer has read."),
    ] = None
    publish_now: bool | None = Field(
        default=None,
        description="The post's scheduled time has passed: publish it as soon as approved. "
        "Without this or a new `scheduled_at`, such an approval answers 409 "
        "`schedule_passed`.",
    )
    scheduled_at: AwareTime | None = Field(
        default=None,
        description="A new time, chosen by the reviewer for a post whose time has passed (or "
        "any other): a new revision, audited `post:reschedule`, that voids earlier approvals; "
        "this approval is of the new version.",
    )


class Rejection(Body):
    reason: Text


class BulkRejection(Body):
    """The posts to reject, by id, and the one reason each author sees."""

    ids: Annotated[
        list[Annotated[int, Field(ge=1, le=INT_MAX)]],
        Field(min_length=1, max_length=bulk_review.MAX_AT_ONCE),
    ]
    reason: Text


class Settlement(SteppedUp):
    """Exactly one of ``live_url`` (where the post is on the platform) and
    ``not_published: true``."""

    live_url: Limited(settling.MAX_URL) | None = Field(  # type: ignore[valid-type]
        default=None, description="The post's address on the platform: it was published."
    )
    not_published: bool | None = Field(
        default=None, description="true: the post is not on the platform; it ends `failed`."
    )


class PostFilter(Query):
    """Filters of ``GET /posts``; `cursor` continues a list with the same filters."""

    status: one_of(POST_STATUSES) | None = None  # type: ignore[valid-type]
    account: Limited(column_length(Account.name)) | None = None  # type: ignore[valid-type]
    author: Limited(column_length(User.username)) | None = Field(  # type: ignore[valid-type]
        default=None, description="A username; an author only ever sees their own posts."
    )
    since: AwareTime | None = Field(default=None, description="Created at or after this time.")
    until: AwareTime | None = Field(default=None, description="Created before this time.")
    q: Limited(200) | None = Field(  # type: ignore[valid-type]
        default=None, description="Posts whose text contains this (case-insensitive)."
    )
    sort: one_of(listing.SORTS) = Field(  # type: ignore[valid-type]
        default="newest", description="`newest` first (default) or `oldest` first."
    )
    limit: int = Field(default=listing.DEFAULT_LIMIT, ge=1, le=listing.MAX_LIMIT)
    cursor: Limited(cursors.MAX_LENGTH) | None = Field(  # type: ignore[valid-type]
        default=None, description="The `next` of the previous page, as it was given."
    )

    def post_query(self) -> PostQuery:
        return PostQuery(
            status=self.status,
            account=self.account or None,
            author=self.author or None,
            since=self.since,
            until=self.until,
            text=self.q or None,
            sort=listing.Sort(self.sort),
        )


@bp.operation(
    "POST",
    "/posts",
    body=NewPost,
    roles=policy.WRITE_POSTS,
    answers={201: answers.Submitted},
    errors=(403, 404),
    transaction=True,
)
def submit(body: NewPost, db: Session) -> tuple[dict[str, Any], int]:
    """Submit a post for review: `pending_review`, or `blocked` when a rule blocks it;
    `message` says which, and why, in the caller's language. With `draft: true`, save it as
    a `draft` instead: only its author sees it, and nobody reviews it until it is submitted."""
    post = posts.submit(
        rt(),
        db,
        caller(db),  # the user this transaction authenticated (no second read)
        body.account,
        body.text,
        body.scheduled_at,
        media=[m.model_dump() for m in body.media or []],
        source=source_address(),
        draft=body.draft,
    )
    shown = {**posts.post_to_dict(post), "message": submitted.answer_message(post)}
    return {**shown, "warnings": submitted.post_warnings(db, post)}, 201


@bp.operation("GET", "/posts", query=PostFilter, answers={200: answers.PostList})
def list_posts(query: PostFilter) -> dict[str, Any]:
    """The posts the caller may see (an author their own; reviewers, security and admins
    every one), newest first, `limit` at a time: follow `next` until it is null."""
    wanted = query.post_query()
    filters = wanted.filters()
    at = cursors.read(query.cursor, "posts", filters)
    with rt().store.session() as db:
        page = post_lists.page_posts(db, caller(db), wanted, limit=query.limit, after=at.after)
        return {
            "posts": [posts.post_to_dict(p) for p in page.items],
            "next": cursors.make("posts", filters, after=page.next_after),
        }


@bp.operation("GET", "/posts/<id:post_id>", answers={200: answers.PostShown})
def get_post(post_id: int) -> dict[str, Any]:
    """One post, when the caller may see it, with its `warnings` while it is still ahead of
    publishing (its account cannot publish yet, a posting quota it would exceed)."""
    with rt().store.session() as db:
        post = posts.visible_post(db, caller(db), post_id)
        shown = submitted.ahead_warnings(db, post)
        return {**posts.post_to_dict(post), "warnings": shown}


@bp.operation(
    "PATCH", "/posts/<id:post_id>", body=PostEdit, answers={200: answers.Post}, errors=(403, 409)
)
def edit_post(post_id: int, body: PostEdit) -> dict[str, Any]:
    """Edit one's own post: it goes back to review and its approvals are voided (a draft
    stays a draft)."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "media" in changes:
        changes["media"] = [m.model_dump() for m in changes["media"] or []]
    if not changes:
        raise ValidationFailed("nothing to change: give text, scheduled_at or media", field="text")
    with rt().store.transaction() as db:
        post, old_revision = posts.edit(
            rt(), db, caller(db), post_id, changes, source=source_address()
        )
        shown = posts.post_to_dict(post)
    dispatch_after_commit(post, old_revision)
    return shown


@bp.operation(
    "POST",
    "/posts/<id:post_id>/approve",
    body=ApprovalRequest,
    roles=policy.REVIEW_POSTS,
    step_up=True,
    answers={200: answers.Post},
    errors=(403, 409),
)
def approve(post_id: int, body: ApprovalRequest) -> dict[str, Any]:
    """Approve someone else's post; it is `scheduled` once it has the approvals its account
    requires. Flagged findings must be acknowledged. The approval is of the version the
    reviewer read: `content_hash` names it, and a post edited since is refused. A post whose
    scheduled time has passed answers 409 `schedule_passed` (with `scheduled_at` and
    `choices`) unless `publish_now: true` or a new `scheduled_at` is given."""
    with rt().store.transaction() as db:
        post = review.approve(
            rt(),
            db,
            caller(db),
            post_id,
            body.acknowledge or [],
            content_hash=body.content_hash,
            source=source_address(),
            publish_now=bool(body.publish_now),
            new_time=body.scheduled_at,
        )
        shown = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return shown


@bp.operation(
    "POST",
    "/posts/<id:post_id>/reject",
    body=Rejection,
    roles=policy.REVIEW_POSTS,
    answers={200: answers.Post},
    errors=(403, 409),
)
def reject(post_id: int, body: Rejection) -> dict[str, Any]:
    """Reject someone else's post, saying why."""
    with rt().store.transaction() as db:
        post = review.reject(rt(), db, caller(db), post_id, body.reason, source=source_address())
        shown = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return shown


@bp.operation(
    "POST",
    "/review/reject",
    body=BulkRejection,
    roles=policy.REVIEW_POSTS,
    answers={200: answers.BulkRejected},
    errors=(403,),
)
def reject_many(body: BulkRejection) -> dict[str, Any]:
    """Reject several posts with one reason: each one as `POST /posts/{id}/reject` would
    (same checks, its own transaction and audit entry). A post refused (not waiting for
    review, your own, unknown) is reported in `results` with its error and does not stop
    the others; `rejected` and `refused` count them."""
    if not body.reason.strip():
        raise ValidationFailed("give a reason for the rejection", field="reason")
    results: list[dict[str, Any]] = []
    for post_id in dict.fromkeys(body.ids):
        try:
            with rt().store.transaction() as db:
                post = review.reject(
                    rt(), db, caller(db), post_id, body.reason, source=source_address()
                )
                shown = posts.post_to_dict(post)
        except PostgateError as exc:
            results.append({"id": post_id, "ok": False, "status": exc.status, **exc.to_dict()})
            continue
        dispatch_after_commit(post)
        results.append({"id": post_id, "ok": True, "post": shown})
    rejected = sum(1 for r in results if r["ok"])
    return {"rejected": rejected, "refused": len(results) - rejected, "results": results}


@bp.operation("POST", "/posts/<id:post_id>/cancel", answers={200: answers.Post}, errors=(403, 409))
def cancel(post_id: int) -> dict[str, Any]:
    """Cancel a post before it publishes: its author, security or an admin."""
    with rt().store.transaction() as db:
        post = posts.cancel(rt(), db, caller(db), post_id, source=source_address())
        shown = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return shown


@bp.operation(
    "POST",
    "/posts/<id:post_id>/settle",
    body=Settlement,
    roles=policy.SETTLE_POSTS,
    step_up=True,
    answers={200: answers.Post},
    errors=(403, 409),
)
def settle(post_id: int, body: Settlement) -> dict[str, Any]:
    """Settle a post whose outcome is unknown (the platform's answer was lost and the account
    cannot be read back): `published` at `live_url`, or `failed` with `not_published`."""
    with rt().store.transaction() as db:
        post = settling.settle(
            rt(),
            db,
            caller(db),
            post_id,
            live_url=body.live_url,
            not_published=bool(body.not_published),
            source=source_address(),
        )
        return posts.post_to_dict(post)


@bp.operation(
    "POST",
    "/posts/<id:post_id>/retry",
    body=SteppedUp,
    roles=policy.RETRY_POSTS,
    step_up=True,
    answers={200: answers.Post},
    errors=(403, 409),
)
def retry(post_id: int, body: SteppedUp) -> dict[str, Any]:
    """Put a `failed` post back on the schedule as it is (its approvals must still count)."""
    with rt().store.transaction() as db:
        post = retrying.retry_failed(rt(), db, caller(db), post_id, source=source_address())
        shown = posts.post_to_dict(post)
    dispatch_after_commit(post)
    return shown
