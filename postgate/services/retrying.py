"""A reviewer retries a post that failed, without rewriting it (issue 11).

A platform outage or a refusal that has since been cured (new credentials, a server limit
raised) leaves a post ``failed``. Rewriting it would send it back through review; instead a
reviewer (2FA) puts it back on the schedule as it is: ``scheduled``, its attempts counted
from zero, due at once (or at its time, if that is still ahead). Its approvals must still
count for its content (invariant 1): the worker checks them, the content hash and every
publish-time rule again before the call, as for any post. Audited ``post:retry``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from postgate import policy
from postgate.audit import Event
from postgate.errors import Conflict, Forbidden
from postgate.runtime import Runtime
from postgate.services.approvals import approvals_complete
from postgate.services.posts import visible_post
from postgate.states import PostStatus
from postgate.store.models import Post, User


def retry_failed(rt: Runtime, db: Session, user: User, post_id: int, *, source: str = "") -> Post:
    """Put a ``failed`` post back on the schedule (see the module docstring).

    The caller has already checked the user's fresh TOTP (step-up).
    """
    if not user.has_role(*policy.RETRY_POSTS):
        raise Forbidden("retrying a post needs the reviewer role")
    post = visible_post(db, user, post_id, lock=True)
    if post.status != PostStatus.FAILED:
        raise Conflict(
            "only a failed post can be retried; this one is {status}",
            field="status",
            status=post.status,
        )
    if not approvals_complete(post):
        raise Conflict(
            "its approvals no longer count for its content: it needs review again",
            field="approvals",
        )
    failure = post.reason
    post.status, post.reason, post.attempts = PostStatus.SCHEDULED, "", 0
    post.claim_token, post.outcome_unknown, post.unresolved_reason = None, False, ""
    rt.audit(
        db,
        Event.POST_RETRY,
        actor=user.username,
        target=f"post:{post.id}",
        source=source,
        details={"failure": failure[:500], "revision": post.revision},
    )
    return post
