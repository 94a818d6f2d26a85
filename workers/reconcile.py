"""The reconciler: make Redis hold what the store says should be happening (invariants 5, 6).

The store is the source of truth. One pass:

1. resolves stale ``publishing`` claims (a worker died mid-call, or the outcome of a call is
   unknown) by reading the account's recent posts back: found means ``published`` with that
   remote id; not found means back to ``scheduled`` and enqueued again;
2. enqueues every ``scheduled`` post whose job RQ does not hold (Redis flushed or restarted,
   enqueue failed after the commit, job lost with its worker), due or not; deterministic job
   ids make this idempotent. Posts of a ``disconnected`` account wait: reconnecting it queues
   them (:mod:`postgate.services.disconnection`).

Overdue scheduled jobs and jobs abandoned by a dead worker are moved faster, every second,
by :mod:`workers.scheduling`.

Workers run it once at start and then every ``reconcile_seconds`` (one pass per period across
all workers, by a Redis ``SET NX PX`` gate); ``postgate reconcile`` runs one pass by hand.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta

from rq.job import Job
from sqlalchemy import select

from postgate import queue
from postgate.notifications import outbox
from postgate.platforms.base import ConnectorError
from postgate.platforms.spec import ReadBack
from postgate.runtime import Runtime
from postgate.services.media import pending_media
from postgate.services.publishing import (
    mark_published,
    note_unresolved,
    publish_key,
    publish_key_time,
    release,
)
from postgate.services.takedown_dispatch import resume_running_takedowns
from postgate.states import AccountStatus, PostStatus
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from workers.claims import HARD_STALE, READ_BACK_SLACK, claim_is_stale, post_lease
from workers.readback import find_on_platform, strategy_for

log = logging.getLogger("postgate.workers.reconcile")


class Resolution(enum.StrEnum):
    """What resolving a post's claim came to (:func:`resolve_if_stale`)."""

    NO_CLAIM = ""  # the post is not ``publishing`` (any more), or the claim changed hands
    LIVE = "live"  # the claim is not stale: someone is still working on it
    PUBLISHED = "published"  # found on the platform by reading the account back
    RESCHEDULED = "rescheduled"  # not found: ``scheduled`` again
    UNRESOLVED = "unresolved"  # the account cannot be read back yet: the claim stays


NO_READ_BACK = "{platform} cannot be read back: check the account and settle the post"
STALE_CLAIMS = (Resolution.PUBLISHED, Resolution.RESCHEDULED, Resolution.UNRESOLVED)


@dataclass
class ReconcileReport:
    enqueued: int = 0
    stale_claims: int = 0
    read_back_published: int = 0
    rescheduled: int = 0
    takedowns_resumed: int = 0
    media_text_queued: int = 0
    notifications_queued: int = 0


def reconcile_once(rt: Runtime) -> ReconcileReport:
    """One pass over the store and the queues; safe to run anywhere, any number of times."""
    report = ReconcileReport()
    _resolve_claims(rt, report)
    _enqueue_missing(rt, report)
    report.takedowns_resumed = len(resume_running_takedowns(rt))
    report.media_text_queued = _enqueue_media_text(rt)
    report.notifications_queued = _enqueue_notifications(rt)
    if report.enqueued or report.stale_claims or report.takedowns_resumed:
        log.info("reconciled: %s", report)
    return report


def _enqueue_notifications(rt: Runtime) -> int:
    """Outbox rows due soon, or claimed by a worker whose lease ran out, whose job RQ does
    not hold (a Redis flush, a failed enqueue after the commit, a killed worker) are queued
    again; the job claims the row in the store, so a copy does nothing."""
    horizon = timedelta(seconds=2 * rt.settings.reconcile_seconds)
    rows = outbox.due_rows(rt, horizon)
    if not rows:
        return 0
    job_ids = [queue.notify_job_id(ident, attempts) for ident, attempts, _ in rows]
    with rt.redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    queued = 0
    for (ident, attempts, due), raw in zip(rows, statuses, strict=True):
        status = raw.decode() if isinstance(raw, bytes) else raw
        if status in queue.LIVE_STATUSES:
            continue
        queue.enqueue_notify(rt, ident, attempts, due)
        queued += 1
    return queued


def _enqueue_media_text(rt: Runtime) -> int:
    """Uploads whose text is still unread get their job back (idempotent by job id)."""
    with rt.store.session() as db:
        pending = pending_media(db)
    for media_id in pending:
        queue.enqueue_media_text(rt, media_id)
    return len(pending)


def _resolve_claims(rt: Runtime, report: ReconcileReport) -> None:
    with rt.store.session() as db:
        ids = list(db.scalars(select(Post.id).where(Post.status == PostStatus.PUBLISHING)))
    for post_id in ids:
        outcome = resolve_if_stale(rt, post_id, enqueue=True)
        if outcome in STALE_CLAIMS:
            report.stale_claims += 1
        report.read_back_published += outcome == Resolution.PUBLISHED
        report.rescheduled += outcome == Resolution.RESCHEDULED


def _enqueue_missing(rt: Runtime, report: ReconcileReport) -> None:
    with rt.store.session() as db:  # a disconnected account's posts wait for its reconnection
        rows = db.execute(
            select(Post.id, Post.revision, Post.attempts, Post.scheduled_at)
            .join(Account, Account.id == Post.account_id)
            .where(
                Post.status == PostStatus.SCHEDULED,
                Account.status != AccountStatus.DISCONNECTED,
            )
        ).all()
    if not rows:
        return
    job_ids = [queue.publish_job_id(r.id, r.revision, r.attempts) for r in rows]
    with rt.redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    now = utcnow()
    for row, raw in zip(rows, statuses, strict=True):
        status = raw.decode() if isinstance(raw, bytes) else raw
        started_long_ago = status == "started" and (row.scheduled_at or now) < now - HARD_STALE
        if status in queue.LIVE_STATUSES and not started_long_ago:
            continue
        when = row.scheduled_at if row.scheduled_at and row.scheduled_at > now else None
        queue.enqueue_publish(
            rt, row.id, row.revision, when, attempts=row.attempts, force=started_long_ago
        )
        report.enqueued += 1


def resolve_if_stale(rt: Runtime, post_id: int, *, enqueue: bool) -> Resolution:
    """Resolve the post's claim if it is stale: ``published``, ``rescheduled``, or why not.

    Resolving takes the post's lease itself, so two resolvers, or a resolver and a publisher,
    never act on one claim at the same time.
    """
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        if post is None or post.status != PostStatus.PUBLISHING:
            return Resolution.NO_CLAIM
        if not claim_is_stale(rt, post):
            return Resolution.LIVE
        account = db.get(Account, post.account_id)
        assert account is not None
        db.expunge(account)
        token, claimed_at, text = post.claim_token, post.claimed_at, post.text
        key = (publish_key(post.id, post.revision), publish_key_time(post))
    lease = post_lease(rt, post_id)
    if not lease.acquire():
        return Resolution.LIVE
    strategy = strategy_for(account.platform)
    try:
        if strategy == ReadBack.NONE:  # nothing can tell: a person settles it, now
            note_unresolved(rt, post_id, token, NO_READ_BACK.format(platform=account.platform))
            return Resolution.UNRESOLVED
        if strategy == ReadBack.RESEND:  # the receiver deduplicates on the same key
            return _release(rt, post_id, token, enqueue=enqueue)
        try:
            since = (claimed_at or utcnow()) - READ_BACK_SLACK
            remote = find_on_platform(rt, account, text, since, post_id=post_id, key=key)
        except (ConnectorError, ValueError) as exc:
            log.warning("post %s: cannot read the account back yet: %s", post_id, exc)
            note_unresolved(rt, post_id, token, str(exc))
            return Resolution.UNRESOLVED
        except Exception as exc:  # one unreadable account must not stop the whole pass
            log.error("post %s: reading the account back failed (%s)", post_id, type(exc).__name__)
            note_unresolved(rt, post_id, token, f"unexpected {type(exc).__name__}")
            return Resolution.UNRESOLVED
        if remote is not None:
            mark_published(rt, post_id, token or "", remote, how="read-back")
            return Resolution.PUBLISHED
        return _release(rt, post_id, token, enqueue=enqueue)
    finally:
        lease.release()


def _release(rt: Runtime, post_id: int, token: str | None, *, enqueue: bool) -> Resolution:
    """Not on the platform: back to ``scheduled``, and queued again when ``enqueue``."""
    released = release(rt, post_id, token)
    if released is None:
        return Resolution.NO_CLAIM
    if enqueue:
        revision, attempts = released
        queue.enqueue_publish(rt, post_id, revision, None, attempts=attempts, force=True)
    return Resolution.RESCHEDULED
