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

import logging
from dataclasses import dataclass
from datetime import timedelta

from rq.job import Job
from sqlalchemy import select

from postgate import queue
from postgate.notifications import outbox
from postgate.runtime import Runtime
from postgate.services.media import pending_media
from postgate.services.takedown_dispatch import resume_running_takedowns
from postgate.states import AccountStatus, PostStatus
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from workers.claims import HARD_STALE
from workers.settling import Resolution, resolve_account

log = logging.getLogger("postgate.workers.reconcile")


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
    """Settle stale claims, one read-back per account (:mod:`workers.settling`)."""
    with rt.store.session() as db:
        query = select(Post.account_id).where(Post.status == PostStatus.PUBLISHING)
        account_ids = sorted(set(db.scalars(query)))
    for account_id in account_ids:
        for outcome in (resolve_account(rt, account_id, enqueue=True) or {}).values():
            report.stale_claims += outcome in STALE_CLAIMS
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

    The read-back settles every stale claim of the post's account at once; the others found
    ``scheduled`` again are queued, this one only when ``enqueue``. Resolving takes each
    post's lease, so two resolvers, or a resolver and a publisher, never act on one claim at
    the same time.
    """
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        if post is None or post.status != PostStatus.PUBLISHING:
            return Resolution.NO_CLAIM
        account_id = post.account_id
    outcomes = resolve_account(rt, account_id, enqueue=True, keep=None if enqueue else post_id)
    if outcomes is None:
        return Resolution.BUSY
    if post_id in outcomes:
        return outcomes[post_id]
    with rt.store.session() as db:  # settled by another read-back meanwhile, or still live
        post = db.get(Post, post_id)
        held = post is not None and post.status == PostStatus.PUBLISHING
        return Resolution.LIVE if held else Resolution.NO_CLAIM
