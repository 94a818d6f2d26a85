"""Four-eyes review: approvals bound to a content hash, by reviewers other than the author.

An approval counts only while it is not voided, matches the post's current content hash,
and its reviewer still holds the reviewer role and is not disabled (invariant 2). The worker
asks :func:`approvals_complete` again right before publishing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.checking import evaluate
from postgate.services.posts import visible_post
from postgate.store.models import Approval, Post, User
from postgate.store.types import utcnow

UNPUBLISHED = ("pending_review", "blocked", "scheduled", "publishing")


def valid_approvals(post: Post) -> list[Approval]:
    """The approvals that count now, one per distinct reviewer."""
    seen: set[int] = set()
    valid = []
    for approval in post.approvals:
        reviewer = approval.reviewer
        if (
            approval.voided_at is None
            and approval.content_hash == post.content_hash
            and approval.reviewer_id != post.author_id
            and reviewer.has_role("reviewer")
            and not reviewer.disabled
            and approval.reviewer_id not in seen
        ):
            seen.add(approval.reviewer_id)
            valid.append(approval)
    return valid


def approvals_complete(post: Post) -> bool:
    return len(valid_approvals(post)) >= max(1, post.account.approvals_required)


def void_approvals(db: Session, post: Post, reason: str) -> int:
    count = 0
    for approval in post.approvals:
        if approval.voided_at is None:
            approval.voided_at, approval.void_reason = utcnow(), reason[:255]
            count += 1
    return count


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
    source: str = "",
) -> Post:
    """Record one approval; the post becomes ``scheduled`` once it has enough of them.

    The caller has already checked the reviewer's fresh TOTP (step-up).
    """
    if not reviewer.has_role("reviewer"):
        raise Forbidden("approving needs the reviewer role")
    post = visible_post(db, reviewer, post_id, lock=True)
    if post.author_id == reviewer.id:
        raise Forbidden("an author cannot approve their own post")
    if post.status == "blocked":
        raise Conflict("a blocked post cannot be approved; its author must fix it", field="status")
    if post.status != "pending_review":
        raise Conflict("a {status} post cannot be approved", field="status", status=post.status)
    result = evaluate(
        rt,
        db,
        post.account,
        post.text,
        post.scheduled_at,
        crisis_statement=post.crisis_statement,
        exclude_post=post.id,
    )
    if result.version != post.rules_version or result.blocked:
        post.findings = [f.to_dict() for f in result.findings]
        post.rules_version = result.version
        if result.blocked:
            post.status, post.status_reason = "blocked", "blocking findings under the current rules"
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
        post.status, post.status_reason = "scheduled", ""
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
    if not reviewer.has_role("reviewer"):
        raise Forbidden("rejecting needs the reviewer role")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("give a reason for the rejection", field="reason")
    post = visible_post(db, reviewer, post_id, lock=True)
    if post.author_id == reviewer.id:
        raise Forbidden("an author cannot review their own post")
    if post.status not in ("pending_review", "blocked", "scheduled"):
        raise Conflict("a {status} post cannot be rejected", field="status", status=post.status)
    void_approvals(db, post, "rejected")
    post.status, post.status_reason = "rejected", reason.strip()[:1000]
    rt.audit(
        db,
        Event.POST_REJECT,
        actor=reviewer.username,
        target=f"post:{post.id}",
        source=source,
        details={"reason": post.status_reason},
    )
    return post


def void_approvals_of_reviewer(rt: Runtime, db: Session, user_id: int, *, reason: str) -> int:
    """Void what a (revoked) reviewer approved on posts not yet published.

    A scheduled post that no longer has enough approvals goes back to review; its queued job
    then finds the post no longer ``scheduled`` and does nothing.
    """
    approvals = db.scalars(
        select(Approval)
        .join(Post)
        .where(
            Approval.reviewer_id == user_id,
            Approval.voided_at.is_(None),
            Post.status.in_(UNPUBLISHED),
        )
    ).all()
    for approval in approvals:
        approval.voided_at, approval.void_reason = utcnow(), reason[:255]
    db.flush()
    for post in {a.post for a in approvals}:
        db.refresh(post)
        if post.status == "scheduled" and not approvals_complete(post):
            post.status, post.status_reason = "pending_review", f"approval voided: {reason}"
            rt.audit(
                db,
                Event.POST_EDIT,
                actor="system",
                target=f"post:{post.id}",
                details={"approvals_voided": True, "reason": reason},
            )
    return len(approvals)
