"""Queueing a takedown's job, and queueing it again when Redis lost it.

The store says which takedowns run; Redis only holds the queued job, a pointer to the last
one queued and the lease the one live run holds. Kept apart from the request path because
the reconciler and the worker need these too, and neither should import the request's
locking and session-ending to get at a key name.

``RUN_FUNCTION`` is the path RQ stores in every queued job: jobs already waiting in Redis
keep naming it, so ``workers.takedown.run_takedown`` must stay where it is.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from postgate.runtime import Runtime
from postgate.store.models import Takedown

JOB_TIMEOUT = 24 * 3600  # rate limits like Mastodon's 30 deletions / 30 min make this long
JOB_TTL = 7 * 24 * 3600
RUN_FUNCTION = "workers.takedown.run_takedown"

log = logging.getLogger("postgate.takedowns")


def job_pointer_key(rt: Runtime, takedown_id: int) -> str:
    return rt.key("takedown", takedown_id, "job")


def lease_key(rt: Runtime, takedown_id: int) -> str:
    """Held (with a short TTL, renewed) by the one job run working on the takedown."""
    return rt.key("takedown", takedown_id, "lease")


def enqueue_takedown(rt: Runtime, takedown_id: int) -> str:
    """Queue a run of the takedown job; each run gets the next id ``takedown-<id>-<n>``."""
    from workers import dispatch

    run = rt.redis.incr(rt.key("takedown", takedown_id, "runs"))
    job_id = f"takedown-{takedown_id}-{run}"
    dispatch.queue(rt.redis, dispatch.TAKEDOWN_QUEUE).enqueue(
        RUN_FUNCTION,
        takedown_id,
        job_id=job_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=JOB_TTL,
        failure_ttl=JOB_TTL,
        description=f"takedown #{takedown_id} (run {run})",
    )
    rt.redis.set(job_pointer_key(rt, takedown_id), job_id, ex=JOB_TTL)
    return job_id


def enqueue_quietly(rt: Runtime, takedown_id: int) -> None:
    """Queue the job; if Redis fails, ``resume_running_takedowns`` queues it later."""
    try:
        enqueue_takedown(rt, takedown_id)
    except Exception:
        log.warning("could not queue takedown %s; the reconciler will", takedown_id)


def resume_running_takedowns(rt: Runtime) -> list[int]:
    """Queue again every running takedown that no live job works on (for the reconciler).

    A live run holds the lease; a queued run has a waiting job. Anything else (a worker
    killed midway, a Redis flush, an enqueue that failed) gets a new run, which skips
    what the store says is finished.
    """
    with rt.store.session() as db:
        running = list(db.scalars(select(Takedown.id).where(Takedown.status == "running")))
    resumed = []
    for takedown_id in running:
        if rt.redis.exists(lease_key(rt, takedown_id)) or _job_waiting(rt, takedown_id):
            continue
        enqueue_takedown(rt, takedown_id)
        resumed.append(takedown_id)
    return resumed


def _job_waiting(rt: Runtime, takedown_id: int) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.serializers import JSONSerializer

    job_id = rt.redis.get(job_pointer_key(rt, takedown_id))
    if job_id is None:
        return False
    try:
        job = Job.fetch(job_id.decode(), connection=rt.redis, serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=True) in ("queued", "scheduled", "deferred")
