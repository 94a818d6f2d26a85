"""Approving a post whose scheduled time has passed: the reviewer says what should happen.

A post can wait in review past its time. Approving it then used to publish it at once,
silently; now the approval asks (409 ``schedule_passed``) unless the reviewer chose:

- ``publish_now``: the post goes out as soon as it is approved. Its content, the past time
  included, is unchanged, so the approval is of exactly what the reviewer read (invariant 1);
  a time in the past means "as soon as possible" to the worker.
- a new ``scheduled_at``: the time is part of the content hash, so a new time is an edit,
  and what was approved must be what publishes. The reviewer's new time is recorded as a
  revision by the reviewer (audited ``post:reschedule``), the rules run again on it (a time
  that breaks a blocking rule, a posting window or a blackout date, is refused with 422 and
  nothing changes), every earlier approval is voided, as for any edit, and the reviewer's
  approval is then given to the new version, whose hash they chose knowingly. Only the time
  changes, and only the person approving changes it, so it needs no second round for that
  reviewer; an account that needs several approvals gets the others again on the new
  version (the earlier ones were for another time).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.approvals import void_approvals
from postgate.services.posts import CLOCK_SKEW, set_time
from postgate.states import PostStatus
from postgate.store.models import Post, User
from postgate.store.types import utcnow


class SchedulePassed(Conflict):
    """The post's time has passed: publish now, or give a new time."""

    code = "schedule_passed"

    def __init__(self, scheduled_at: datetime) -> None:
        super().__init__(
            "the post's scheduled time has passed: approve with publish_now, or give a new "
            "scheduled_at",
            field="scheduled_at",
        )
        self.scheduled_at = scheduled_at

    def to_dict(self) -> dict[str, str]:
        body: dict[str, object] = {
            **super().to_dict(),
            "scheduled_at": self.scheduled_at.isoformat(),
            "choices": ["publish_now", "scheduled_at"],
        }
        return body  # type: ignore[return-value]


def time_passed(post: Post) -> bool:
    """Whether ``post`` was meant to go out at a time that has passed already."""
    return post.scheduled_at is not None and post.scheduled_at <= utcnow()


def settle_time(
    rt: Runtime,
    db: Session,
    reviewer: User,
    post: Post,
    *,
    publish_now: bool,
    new_time: datetime | None,
    source: str = "",
) -> None:
    """Before an approval: refuse a passed time nobody decided about, or apply the
    reviewer's new one (see the module's docstring)."""
    if publish_now and new_time is not None:
        raise ValidationFailed(
            "give either publish_now or a new scheduled_at, not both", field="publish_now"
        )
    if new_time is None:
        if time_passed(post) and not publish_now:
            raise SchedulePassed(post.scheduled_at)  # type: ignore[arg-type]
        return
    if new_time < utcnow() - CLOCK_SKEW:
        raise ValidationFailed("scheduled_at is in the past", field="scheduled_at")
    old_time = post.scheduled_at
    voided = void_approvals(db, post, "rescheduled by a reviewer")
    old_hash = set_time(rt, db, post, new_time, reviewer)
    if post.status == PostStatus.BLOCKED:
        rules = ", ".join(sorted({f["rule"] for f in post.findings if f["severity"] == "block"}))
        raise ValidationFailed(
            "at that time the rules block the post: {rules}", field="scheduled_at", rules=rules
        )
    rt.audit(
        db,
        Event.POST_RESCHEDULE,
        actor=reviewer.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "from": old_time.isoformat() if old_time else None,
            "to": new_time.isoformat(),
            "old_hash": old_hash,
            "content_hash": post.content_hash,
            "approvals_voided": voided,
            "revision": post.revision,
        },
    )
