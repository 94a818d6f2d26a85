"""The reconciler: make Redis hold what the store says should be happening (invariants 5, 6).

The store is the source of truth. One pass:

1. resolves stale ``publishing`` claims (a worker died mid-call, or the outcome of a call is
   unknown) by reading the account's recent posts back: found means ``published`` with that
   remote id; not found means back to ``scheduled`` and enqueued again;
2. enqueues every ``scheduled`` post whose job RQ does not hold (Redis flushed or restarted,
   enqueue failed after the commit, job lost with its worker), due or not; deterministic job
   ids make this idempotent;
3. moves scheduled jobs that are long overdue onto the queue, in case no RQ scheduler runs
   (the one that held the scheduler lock was killed; its lock outlives it by a minute).

Workers run it once at start and then every ``reconcile_seconds`` (one pass per period across
all workers, by a Redis ``SET NX PX`` gate); ``postgate reconcile`` runs one pass by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select

from postgate import queue
from postgate.platforms.base import ConnectorError, RemotePost
from postgate.runtime import Runtime
from postgate.services.credentials import connector_for_account
from postgate.services.media import pending_media
from postgate.services.publishing import mark_published, note_unresolved, release
from postgate.services.takedown_dispatch import resume_running_takedowns
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from workers.claims import HARD_STALE, READ_BACK_SLACK, claim_is_stale, post_lease

log = logging.getLogger("postgate.workers.reconcile")

RESCUE_AFTER = timedelta(seconds=15)


@dataclass
class ReconcileReport:
    enqueued: int = 0
    stale_claims: int = 0
    read_back_published: int = 0
    rescheduled: int = 0
    rescued: int = 0
    takedowns_resumed: int = 0
    media_text_queued: int = 0


def reconcile_once(rt: Runtime) -> ReconcileReport:
    """One pass over the store and the queues; safe to run anywhere, any number of times."""
    report = ReconcileReport()
    _resolve_claims(rt, report)
    _enqueue_missing(rt, report)
    _rescue_overdue(rt, report)
    report.takedowns_resumed = len(resume_running_takedowns(rt))
    report.media_text_queued = _enqueue_media_text(rt)
    if report.enqueued or report.stale_claims or report.rescued or report.takedowns_resumed:
        log.info("reconciled: %s", report)
    return report


def _enqueue_media_text(rt: Runtime) -> int:
    """Uploads whose text is still unread get their job back (idempotent by job id)."""
    with rt.store.session() as db:
        pending = pending_media(db)
    for media_id in pending:
        queue.enqueue_media_text(rt, media_id)
    return len(pending)


def _resolve_claims(rt: Runtime, report: ReconcileReport) -> None:
    with rt.store.session() as db:
        ids = list(db.scalars(select(Post.id).where(Post.status == "publishing")))
    for post_id in ids:
        outcome = resolve_if_stale(rt, post_id, enqueue=True)
        if outcome in ("published", "rescheduled", "unresolved"):
            report.stale_claims += 1
        report.read_back_published += outcome == "published"
        report.rescheduled += outcome == "rescheduled"


def _enqueue_missing(rt: Runtime, report: ReconcileReport) -> None:
    with rt.store.session() as db:
        rows = db.execute(
            select(Post.id, Post.revision, Post.attempts, Post.scheduled_at).where(
                Post.status == "scheduled"
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


def _rescue_overdue(rt: Runtime, report: ReconcileReport) -> None:
    publish = queue.named_queue(rt.redis, queue.PUBLISH_QUEUE)
    registry = ScheduledJobRegistry(queue=publish)
    cutoff = int((utcnow() - RESCUE_AFTER).timestamp())
    for job_id in registry.get_jobs_to_schedule(cutoff):
        try:
            job = Job.fetch(job_id, connection=rt.redis, serializer=JSONSerializer)
        except Exception:
            registry.remove(job_id)
            continue
        registry.remove(job)
        publish.enqueue_job(job)
        report.rescued += 1


def resolve_if_stale(rt: Runtime, post_id: int, *, enqueue: bool) -> str:
    """Resolve the post's claim if it is stale: ``published``, ``rescheduled``, or why not.

    Resolving takes the post's lease itself, so two resolvers, or a resolver and a publisher,
    never act on one claim at the same time.
    """
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        if post is None or post.status != "publishing":
            return ""
        if not claim_is_stale(rt, post):
            return "live"
        account = db.get(Account, post.account_id)
        assert account is not None
        db.expunge(account)
        token, claimed_at, text = post.claim_token, post.claimed_at, post.text
    lease = post_lease(rt, post_id)
    if not lease.acquire():
        return "live"
    try:
        try:
            remote = find_on_platform(rt, account, text, (claimed_at or utcnow()) - READ_BACK_SLACK)
        except (ConnectorError, ValueError) as exc:
            log.warning("post %s: cannot read the account back yet: %s", post_id, exc)
            note_unresolved(rt, post_id, token, str(exc))
            return "unresolved"
        except Exception as exc:  # one unreadable account must not stop the whole pass
            log.error("post %s: reading the account back failed (%s)", post_id, type(exc).__name__)
            note_unresolved(rt, post_id, token, f"unexpected {type(exc).__name__}")
            return "unresolved"
        if remote is not None:
            mark_published(rt, post_id, token or "", remote, how="read-back")
            return "published"
        return _release(rt, post_id, token, enqueue=enqueue)
    finally:
        lease.release()


def find_on_platform(
    rt: Runtime, account: Account, text: str, since: datetime
) -> RemotePost | None:
    """The account's post with exactly this text since ``since``, if there is one."""
    wanted = _normal(text)
    with connector_for_account(rt, account) as connector:
        for remote in connector.list_recent(since=since, limit=200):
            if _normal(remote.text) == wanted:
                return remote
    return None


def _normal(text: str) -> str:
    return " ".join(text.split())


def _release(rt: Runtime, post_id: int, token: str | None, *, enqueue: bool) -> str:
    """Not on the platform: back to ``scheduled``, and queued again when ``enqueue``."""
    released = release(rt, post_id, token)
    if released is None:
        return ""
    if enqueue:
        revision, attempts = released
        queue.enqueue_publish(rt, post_id, revision, None, attempts=attempts, force=True)
    return "rescheduled"
