"""Rejecting several posts at once with one reason, from the review queue.

Each post goes through :func:`postgate.services.review.reject` (the reviewer role, four
eyes, a waiting post) and gets its own audit entry. Approval has no bulk form: each approval
names the content hash of the version its reviewer read (invariant 1).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from postgate.errors import PostgateError, ValidationFailed
from postgate.runtime import Runtime
from postgate.services import review
from postgate.store.models import Post, User

MAX_AT_ONCE = 200


def reject_many(
    rt: Runtime, db: Session, reviewer: User, post_ids: list[int], reason: str, *, source: str = ""
) -> list[Post]:
    """Reject every post of ``post_ids`` in ``db``'s transaction: the first refusal raises
    (naming the post) and the caller's rollback leaves every post as it was."""
    chosen = list(dict.fromkeys(post_ids))
    if not chosen:
        raise ValidationFailed("select at least one post", field="posts")
    if len(chosen) > MAX_AT_ONCE:
        raise ValidationFailed("at most {max} posts at once", field="posts", max=MAX_AT_ONCE)
    done = []
    for post_id in chosen:
        try:
            done.append(review.reject(rt, db, reviewer, post_id, reason, source=source))
        except PostgateError as exc:
            exc.post_id = post_id  # type: ignore[attr-defined]  # which one, for the page
            raise
    return done
