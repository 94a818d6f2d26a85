"""Four-eyes review: a reviewer other than the author approves or rejects a post.

An approval is bound to the content hash the reviewer saw (invariant 1): the request names the
``content_hash`` of the version the reviewer was shown, and a post that changed since is refused
with a conflict, never approved, so an author who edits while the reviewer reads cannot slip
the new text through. Which approvals count is :mod:`postgate.services.approvals`' to say
(invariant 2). The post becomes ``scheduled`` once it has enough of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, ValidationFailed
from postgate.runtime import Runtime
from postgate.services import comments
from postgate.services.approvals import valid_approvals, void_approvals
from postgate.services.checking import evaluate
from postgate.services.duties import cooling_off_error
from postgate.services.late_approval import settle_time
from postgate.services.media import draft_images, unread_images
from postgate.services.posts import visible_post
from postgate.states import WAITING, CommentKind, PostStatus, Role
from postgate.store.models import Approval, Post, User


def _flags_unacknowledged(post: Post, acknowledged: Iterable[str]) -> list[str]:
    flags = {f["rule"] for f in post.findings or [] if f["severity"] == "flag"}
    return sorted(flags - set(acknowledged))


def approve(
    rt: Runtime,
    db: Session,
    reviewer: User,
    post_id: int,
    acknowledge: list[str],
    *,
    content_hash: str,
    source: str = "",
    publish_now: bool = False,
    new_time: datetime | None = None,
) -> Post:
    """Record one approval of the version whose hash is ``content_hash`` (what the reviewer
    was shown); the post becomes ``scheduled`` once it has enough of them. A post whose time
    has passed needs ``publish_now`` or a ``new_time`` (:mod:`postgate.services.late_approval`).

    The caller has already checked the reviewer's fresh TOTP (step-up).
    """
    if not reviewer.has_role(Role.REVIEWER):
        raise Forbidden("approving needs the reviewer role")
    cooling = cooling_off_error(reviewer)
    if cooling is not None:
        raise cooling
    post = visible_post(db, reviewer, post_id, lock=True)
    if post.author_id == reviewer.id:
        raise Forbidden("an author cannot approve their own post")
    if content_hash != post.content_hash:
        raise Conflict(
            "the post changed since you opened it: read the new version before approving",
            field="content_hash",
        )
    if post.status == PostStatus.BLOCKED:
        raise Conflict("a blocked post cannot be approved; its author must fix it", field="status")
    if post.status != PostStatus.PENDING_REVIEW:
        raise Conflict("a {status} post cannot be approved", field="status", status=post.status)
    settle_time(rt, db, reviewer, post, publish_now=publish_now, new_time=new_time, source=source)
    unread = unread_images(db, post.media or [])
    if unread:
        raise Conflict(
            "the text in image {images} is still being read; approve once it is checked",
            field="media",
            images=", ".join(map(str, unread)),
        )
    result = evaluate(
        rt,
        db,
        post.account,
        post.text,
        post.scheduled_at,
        crisis_statement=post.crisis_statement,
        exclude_post=post.id,
        images=draft_images(db, post.media or []),
    )
    if result.version != post.rules_version or result.blocked:
        post.findings = [f.to_dict() for f in result.findings]
        post.rules_version = result.version
        if result.blocked:
            post.status, post.reason = (
                PostStatus.BLOCKED,
                "blocking findings under the current rules",
            )
            rt.audit(
                db,
                Event.POST_BLOCK,
                actor=reviewer.username,
                target=f"post:{post.id}",
                details={"findings": [f.rule for f in result.findings]},
                source=source,
            )
            return post
    missing = _flags_unacknowledged(post, acknowledge)
    if missing:
        raise ValidationFailed(
            "acknowledge the flagged findings first: {rules}",
            field="acknowledge",
            rules=", ".join(missing),
        )
    if any(a.reviewer_id == reviewer.id for a in valid_approvals(post)):
        raise Conflict("you have approved this version already", field="reviewer")
    db.add(
        Approval(
            post=post,
            reviewer=reviewer,
            content_hash=post.content_hash,
            acknowledged=sorted(set(acknowledge)),
        )
    )
    db.flush()
    db.refresh(post)
    count, needed = len(valid_approvals(post)), max(1, post.account.approvals_required)
    rt.audit(
        db,
        Event.POST_APPROVE,
        actor=reviewer.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "content_hash": post.content_hash,
            "approvals": count,
            "required": needed,
            "acknowledged": sorted(acknowledge),
        },
    )
    if count >= needed:
        post.status, post.reason = PostStatus.SCHEDULED, ""
        rt.audit(
            db,
            Event.POST_SCHEDULE,
            actor=reviewer.username,
            target=f"post:{post.id}",
            source=source,
            details={"scheduled_at": post.scheduled_at, "revision": post.revision},
        )
    return post


def reject(
    rt: Runtime, db: Session, reviewer: User, post_id: int, reason: str, *, source: str = ""
) -> Post:
    if not reviewer.has_role(Role.REVIEWER):
        raise Forbidden("rejecting needs the reviewer role")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("give a reason for the rejection", field="reason")
    post = visible_post(db, reviewer, post_id, lock=True)
    if post.author_id == reviewer.id:
        raise Forbidden("an author cannot review their own post")
    if post.status not in WAITING:
        raise Conflict("a {status} post cannot be rejected", field="status", status=post.status)
    void_approvals(db, post, "rejected")
    post.status, post.reason = PostStatus.REJECTED, reason.strip()[:1000]
    comments.record(db, post, reviewer, CommentKind.REJECTION, post.reason)
    rt.audit(
        db,
        Event.POST_REJECT,
        actor=reviewer.username,
        target=f"post:{post.id}",
        source=source,
        details={"reason": post.reason},
    )
    return post
