"""Which approvals count, and voiding them: the four-eyes rule as the store holds it.

An approval counts only while it is not voided, matches the post's current content hash, was
given by someone other than the author, and its reviewer still holds the reviewer role and is
not disabled (invariant 2); one per distinct reviewer. The review service adds approvals, the
worker asks :func:`approvals_complete` again right before publishing, and an edit, a rejection,
a crisis marking or a revoked reviewer voids them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.states import UNPUBLISHED, PostStatus, Role
from postgate.store.models import Approval, Post
from postgate.store.types import utcnow


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
            and reviewer.has_role(Role.REVIEWER)
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
        if post.status == PostStatus.SCHEDULED and not approvals_complete(post):
            post.status = PostStatus.PENDING_REVIEW
            post.reason = f"approval voided: {reason}"
            rt.audit(
                db,
                Event.POST_EDIT,
                actor="system",
                target=f"post:{post.id}",
                details={"approvals_voided": True, "reason": reason},
            )
    return len(approvals)
