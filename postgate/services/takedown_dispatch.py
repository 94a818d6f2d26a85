"""Queueing a takedown's job, and queueing it again when Redis lost it.

The store says which takedowns run; Redis only holds the queued job, a pointer to the last
one queued (:mod:`postgate.queue`) and the lease the one live run holds. Kept apart from the
request path because the reconciler and the worker need these too, and neither should import
the request's locking and session-ending to get at a key name.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from postgate import queue
from postgate.runtime import Runtime
from postgate.states import TakedownStatus
from postgate.store.models import Takedown

log = logging.getLogger("postgate.takedowns")


def lease_key(rt: Runtime, takedown_id: int) -> str:
    """Held (with a short TTL, renewed) by the one job run working on the takedown."""
    return rt.key("takedown", takedown_id, "lease")


def enqueue_quietly(rt: Runtime, takedown_id: int) -> None:
    """Queue the job; if Redis fails, ``resume_running_takedowns`` queues it later."""
    try:
        queue.enqueue_takedown(rt, takedown_id)
    except Exception:
        log.warning("could not queue takedown %s; the reconciler will", takedown_id)


def resume_running_takedowns(rt: Runtime) -> list[int]:
    """Queue again every running takedown that no live job works on (for the reconciler).

    A live run holds the lease; a queued run has a waiting job. Anything else (a worker
    killed midway, a Redis flush, an enqueue that failed) gets a new run, which skips
    what the store says is finished.
    """
    with rt.store.session() as db:
        running = list(
            db.scalars(select(Takedown.id).where(Takedown.status == TakedownStatus.RUNNING))
        )
    resumed = []
    for takedown_id in running:
        if rt.redis.exists(lease_key(rt, takedown_id)) or queue.takedown_job_waiting(
            rt, takedown_id
        ):
            continue
        queue.enqueue_takedown(rt, takedown_id)
        resumed.append(takedown_id)
    return resumed
