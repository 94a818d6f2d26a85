"""Putting work on the RQ queues. The store decides what is due; Redis only dispatches.

Job ids are derived from what the job is for: ``publish-<post>-r<revision>`` for the first
attempt and ``publish-<post>-r<revision>-a<attempts>`` for a retry after ``attempts`` platform
attempts. Enqueuing the same thing twice (the API, the reconciler, a restart) yields one job,
a job made for an older revision of a post is recognisably stale, and the reconciler can tell
from the store alone which job should exist. Payloads are JSON (ids only), never pickle.
"""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from postgate.runtime import Runtime

PUBLISH_QUEUE = "postgate-publish"
TAKEDOWN_QUEUE = "postgate-takedown"
MAINTENANCE_QUEUE = "postgate-maintenance"
QUEUES = (TAKEDOWN_QUEUE, PUBLISH_QUEUE, MAINTENANCE_QUEUE)  # order = priority
PUBLISH_FUNCTION = "workers.jobs.publish_post"
PUBLISH_TIMEOUT = 120
RESULT_TTL = 24 * 3600
LIVE_STATUSES = ("queued", "scheduled", "started", "deferred")
# Unexpected exceptions only (database busy, Redis hiccup): platform errors are retried by
# the job itself, with the platform's Retry-After. A rerun re-checks the store, so it is safe.
CRASH_RETRY = (3, [5, 30, 120])


def queue(connection: Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def publish_job_id(post_id: int, revision: int, attempts: int = 0) -> str:
    base = f"publish-{post_id}-r{revision}"
    return base if attempts <= 0 else f"{base}-a{attempts}"


def enqueue_publish(
    rt: Runtime,
    post_id: int,
    revision: int,
    when: datetime | None,
    *,
    attempts: int = 0,
    force: bool = False,
) -> str:
    """Schedule the publish job for one revision of a post (idempotent by job id).

    ``attempts`` names the retry the job is for; ``force`` replaces a job RQ still holds
    as live (the reconciler uses it for a job whose worker died).
    """
    job_id = publish_job_id(post_id, revision, attempts)
    existing = _fetch(rt.redis, job_id)
    if existing is not None:
        if not force and _status(existing) in LIVE_STATUSES:
            return job_id
        _drop(existing)
    q = queue(rt.redis, PUBLISH_QUEUE)
    args = (PUBLISH_FUNCTION, post_id, revision, attempts)
    options = {
        "job_id": job_id,
        "job_timeout": PUBLISH_TIMEOUT,
        "result_ttl": RESULT_TTL,
        "failure_ttl": 7 * RESULT_TTL,
        "retry": Retry(max=CRASH_RETRY[0], interval=CRASH_RETRY[1]),
        "description": f"publish post {post_id} revision {revision}",
    }
    if when is None or when <= datetime.now(UTC):
        q.enqueue(*args, **options)
    else:
        q.enqueue_at(when.astimezone(UTC), *args, **options)
    return job_id


def cancel_publish(rt: Runtime, post_id: int, revision: int) -> None:
    """Remove pending publish jobs of a revision (first attempt and retries).

    A job that already runs stays; it claims the post only while the store still says
    ``scheduled`` at this revision, so it does nothing.
    """
    for attempts in range(rt.settings.publish_max_attempts + 1):
        job = _fetch(rt.redis, publish_job_id(post_id, revision, attempts))
        if job is not None and _status(job) != "started":
            _drop(job)


def job_is_live(connection: Redis, job_id: str) -> bool:
    """Whether RQ holds the job as queued, scheduled, deferred or running."""
    job = _fetch(connection, job_id)
    return job is not None and _status(job) in LIVE_STATUSES


def _status(job: Job) -> str | None:
    try:
        status = job.get_status(refresh=True)
    except Exception:  # the hash vanished between fetch and read
        return None
    return str(status.value if hasattr(status, "value") else status)


def _drop(job: Job) -> None:
    try:
        job.cancel()
    except Exception:  # noqa: S110 - a finished or failed job cannot be cancelled; delete it
        pass
    try:
        job.delete()
    except Exception:  # noqa: S110 - already gone
        pass


def _fetch(connection: Redis, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return None
