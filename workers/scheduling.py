"""Scheduled jobs come due even when the worker running RQ's scheduler dies.

RQ runs one scheduler for all workers: whichever worker holds the scheduler lock moves due
jobs from the scheduled registry to the queue, once a second. Two ways this fails, both
measured against Postgate:

- **The lock outlives its holder.** A SIGKILLed holder keeps the lock until it expires
  (61 s), and no other worker schedules anything meanwhile: scheduled publishing stalls for
  up to a minute. :func:`rescue_overdue` runs in every worker's periodic loop (once a second
  across all of them) and moves any job :data:`RESCUE_GRACE_SECONDS` overdue to its queue
  itself. Each job is taken with a ``ZREM`` first, so only one rescuer moves it; should the
  live scheduler move it at the same instant, the publish job runs twice and the second run
  finds the post claimed or published (the store decides, not Redis).
- **A job outlives its worker.** A worker killed after RQ started a publish job but before
  the job claimed its post leaves the job ``started`` until RQ declares it abandoned
  (its timeout plus a minute: about 3 minutes). :func:`rescue_abandoned` queues it again
  once it has been started for :data:`ABANDONED_AFTER_SECONDS` without anyone holding the
  post's lease (a live job takes the lease first thing, and keeps it while it waits for the
  due instant) while the store still says ``scheduled``.
- **The scheduler outlives its worker.** RQ forks the scheduler from the worker, so it
  inherits the worker's Redis socket. When the worker is SIGKILLed while blocked in
  ``BLPOP``, the orphaned scheduler keeps that socket open: Redis still sees the dead
  worker waiting and hands it the next job pushed, which nobody ever runs.
  :class:`OrphanSafeScheduler` asks the kernel to kill it with its parent (Linux's
  ``PR_SET_PDEATHSIG``) and, everywhere, stops as soon as its parent is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import time

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from rq.scheduler import RQScheduler

from postgate import queue
from postgate.runtime import Runtime
from postgate.states import PostStatus
from postgate.store.models import Post
from postgate.store.types import utcnow
from workers.claims import LEASE_SECONDS, lease_key

log = logging.getLogger("postgate.workers.scheduling")

RESCUE_GRACE_SECONDS = 3
ABANDONED_AFTER_SECONDS = LEASE_SECONDS + 2  # a dead holder's lease has expired by then
PR_SET_PDEATHSIG = 1


def rescue_overdue(rt: Runtime, now: float | None = None) -> list[str]:
    """Move every job overdue by more than the grace period to its queue; the ids moved."""
    cutoff = int((time.time() if now is None else now) - RESCUE_GRACE_SECONDS)
    moved = []
    for name in queue.QUEUES:
        target = queue.named_queue(rt.redis, name)
        registry = ScheduledJobRegistry(queue=target)
        for job_id in registry.get_jobs_to_schedule(cutoff):
            if not rt.redis.zrem(registry.key, job_id):
                continue  # the scheduler, or another worker's rescuer, took it first
            try:
                job = Job.fetch(job_id, connection=rt.redis, serializer=target.serializer)
            except NoSuchJobError:
                continue
            target.enqueue_job(job)
            moved.append(job_id)
    if moved:
        log.warning("moved %d overdue scheduled job(s) to their queue: %s", len(moved), moved)
    return moved


def rescue_abandoned(rt: Runtime) -> list[str]:
    """Queue again each publish job whose worker died before it claimed its post."""
    publish = queue.named_queue(rt.redis, queue.PUBLISH_QUEUE)
    registry = StartedJobRegistry(queue=publish)
    cutoff = utcnow().timestamp() - ABANDONED_AFTER_SECONDS
    moved = []
    for job_id, _execution in registry.get_job_and_execution_ids(cleanup=False):
        job = queue._fetch(rt.redis, job_id)
        if job is None or job.started_at is None or job.started_at.timestamp() > cutoff:
            continue
        post_id, revision, attempts = [*job.args, 0][:3]
        if rt.redis.exists(lease_key(rt, post_id)) or not _still_scheduled(rt, post_id, revision):
            continue
        queue.enqueue_publish(rt, post_id, revision, None, attempts=attempts or 0, force=True)
        moved.append(job_id)
    if moved:
        log.warning("queued again %d publish job(s) whose worker died: %s", len(moved), moved)
    return moved


def _still_scheduled(rt: Runtime, post_id: int, revision: int) -> bool:
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        return (
            post is not None and post.status == PostStatus.SCHEDULED and post.revision == revision
        )


class OrphanSafeScheduler(RQScheduler):
    """RQ's scheduler, ended with the worker that started it (see the module doc)."""

    def work(self) -> None:
        parent = os.getppid()
        _die_with_parent()
        self._install_signal_handlers()
        self.register_birth()
        while os.getppid() == parent:
            if self._stop_requested:
                break
            if self.should_reacquire_locks:
                self.acquire_locks()
            self.heartbeat()
            self.enqueue_scheduled_jobs()
            time.sleep(self.interval)
        self.stop()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
