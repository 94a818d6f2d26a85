"""``postgate worker``: an RQ worker with the scheduler, plus the periodic tasks.

The worker forks a work horse per job (``[workers] class = "fork"``, the default; see
:mod:`workers.beating` for the others); the horse builds its own database engine and Redis
client (both are keyed by process id), so no connection pool crosses a fork. The periodic
tasks run in a small child process forked before the worker starts (so before any thread
exists): the reconciler, once at start and then every ``reconcile_seconds``; the audit
checkpoint (:mod:`postgate.audit_checkpoint`) and the look at the rules' version
(:mod:`postgate.services.rules_version`), every ``checkpoint_seconds``; the servers' stated
limits (:mod:`postgate.services.server_limits`), hourly, for accounts read a day ago; the watch
(:mod:`workers.watch`), every second: its streams are threads of this process; OAuth tokens
that end soon get a refresh job (:mod:`workers.tokens`) every ``[oauth]
refresh_check_seconds``. Each task runs
once per period across all workers: whoever first sets the task's Redis gate (``SET NX PX``,
expiring after the period) runs it. When Redis does not answer every worker runs the task
itself, which is harmless: a reconcile pass is idempotent, checkpoint writers queue on a
file lock and skip a head already checkpointed, and a version change is recorded once under
its row's lock. This loop rather than an RQ periodic job:
it lives as long as the worker, and a flushed Redis cannot lose it. The gates also make the
reconciler run as soon as Redis is back: while Redis is away every worker tries each task
every second (and fails), and a Redis that restarted empty or was flushed has lost the
gates with the jobs, so the first tick after it answers again reconciles
(``tests/workers/test_outages_live.py`` checks it with the 30 s default period).
SIGTERM and SIGINT stop the worker warmly (RQ finishes the running job first). The worker
writes a heartbeat (:mod:`postgate.heartbeat`) that ``postgate worker --check`` reads.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.serializers import JSONSerializer

from postgate import audit_checkpoint, queue
from postgate.heartbeat import HeartbeatWriter
from postgate.logs import configure_logging
from postgate.runtime import Runtime
from postgate.services.checking import check_rules_version
from postgate.services.server_limits import refresh_due_limits
from postgate.services.takedown_dispatch import resume_running_takedowns
from postgate.store.db import release_connections
from workers import jobs
from workers.beating import WORKER_CLASSES, BeatingWorker
from workers.reconcile import reconcile_once
from workers.scheduling import rescue_abandoned, rescue_overdue
from workers.takedown_without_redis import run_takedowns_without_redis
from workers.tokens import queue_due_refreshes
from workers.watch import supervise_safely as watch_safely

log = logging.getLogger("postgate.workers.runner")

MAINTENANCE_SECONDS = 60  # RQ's registry cleaning and scheduler takeover (default 10 min)
SERVER_LIMITS_SECONDS = 3600  # how often to look for accounts whose limits are a day old
REDIS_WAIT_MAX = 2.0  # longest pause between pings while Redis is away


def run_worker(rt: Runtime, burst: bool = False, name: str | None = None) -> bool:
    """Work the Postgate queues until stopped (or until empty with ``burst``); ``name``
    names the worker's heartbeat (default ``HOST.PID``).

    Redis going away does not end the worker: RQ retries its own waits, and whatever else
    RQ gives up on (a heartbeat, a registry clean-up) ends only that RQ worker. This loop
    then waits for Redis with backoff, runs a reconcile pass at once (a Redis that restarted
    empty has lost every scheduled job; the store still knows them) and starts a fresh one.
    Only a stop request (SIGTERM, SIGINT) or the end of a burst ends the process.
    """
    configure_logging(rt.settings.log_format, rt.settings.log_level)
    jobs.preload(rt)
    heartbeat = HeartbeatWriter(rt, name)
    heartbeat.maybe_beat()
    release_connections()  # no open connection may be inherited by work horses
    gc.freeze()  # the warmed objects are never collected: horses share their pages untouched
    reconciler = None
    if burst:
        _reconcile_safely(rt)
        _checkpoint_safely(rt)
    else:
        reconciler = _start_reconciler(rt)
    try:
        while True:
            worker, worked = _work_once(rt, heartbeat, burst)
            if burst or worker is None or _stop_was_requested(worker):
                return worked
            log.warning("the RQ worker ended on a Redis problem: waiting for Redis to resume")
            _wait_for_redis(rt)
            _reconcile_safely(rt)
    finally:
        heartbeat.stop()
        if reconciler is not None and reconciler.is_alive():
            reconciler.terminate()
            reconciler.join(timeout=5)


def _work_once(rt: Runtime, heartbeat: HeartbeatWriter, burst: bool) -> tuple[Any, bool]:
    """One RQ worker's life; (None, False) when Redis failed before it could start."""
    connection = Redis.from_url(rt.settings.redis_url)  # no socket timeout: RQ blocks on BLPOP
    worker = WORKER_CLASSES[rt.settings.worker_class](
        list(queue.QUEUES),
        connection=connection,
        serializer=JSONSerializer,
        maintenance_interval=MAINTENANCE_SECONDS,
        heartbeat=heartbeat,
    )
    try:
        return worker, worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    except RedisError as exc:
        log.warning("Redis failed under the RQ worker: %s", type(exc).__name__)
        return (None if burst else worker), False
    finally:
        connection.close()


def _stop_was_requested(worker: BeatingWorker | Any) -> bool:
    """Whether SIGTERM or SIGINT ended the RQ worker. RQ marks a stop that waits for a busy
    horse in ``_stop_requested``, but an idle worker stops at once by raising inside
    ``work()``, leaving only the request's date behind: both are a stop, never a Redis
    problem to recover from (mistaking one made ``docker stop`` wait for its SIGKILL)."""
    return worker._stop_requested or worker._shutdown_requested_date is not None


def _wait_for_redis(rt: Runtime, longest: float = REDIS_WAIT_MAX) -> None:
    """Ping Redis until it answers: 0.5 s, then doubling up to ``longest`` between tries."""
    wait = 0.5
    while True:
        try:
            rt.redis.ping()
            log.warning("Redis answers again: resuming work")
            return
        except RedisError:
            time.sleep(wait)
            wait = min(wait * 2, longest)


def _start_reconciler(rt: Runtime) -> BaseProcess:
    context = multiprocessing.get_context("fork")
    process = context.Process(
        target=reconcile_forever, args=(rt, os.getpid()), name="postgate-reconciler", daemon=True
    )
    process.start()
    return process


@dataclass(frozen=True)
class Periodic:
    """A task run once per ``period`` seconds across all workers (see the module doc)."""

    gate: str
    period: float
    run: Callable[[Runtime], None]

    def run_if_due(self, rt: Runtime, token: str) -> None:
        try:
            due = rt.redis.set(rt.key(self.gate), token, nx=True, px=int(self.period * 1000))
        except RedisError:
            due = True  # see the module doc: running it everywhere is harmless
        if due:
            self.run(rt)


def periodic_tasks(rt: Runtime) -> tuple[Periodic, ...]:
    return (
        Periodic("reconcile-gate", rt.settings.reconcile_seconds, _reconcile_safely),
        Periodic("audit-checkpoint-gate", rt.settings.checkpoint_seconds, _checkpoint_safely),
        Periodic("rules-version-gate", rt.settings.checkpoint_seconds, _rules_version_safely),
        Periodic("rescue-gate", 1.0, _rescue_safely),
        Periodic("server-limits-gate", SERVER_LIMITS_SECONDS, _server_limits_safely),
        Periodic("token-refresh-gate", rt.settings.oauth_refresh_check_seconds, _tokens_safely),
        Periodic("watch-gate", 1.0, watch_safely),  # workers/watch.py: streams and readings
        # Everywhere while Redis is away (the gate cannot be taken), else a ping a second:
        Periodic("takedown-without-redis-gate", 1.0, _takedowns_without_redis_safely),
    )


def reconcile_forever(rt: Runtime, parent_pid: int) -> None:
    """Run the periodic tasks until the worker that started us is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides; SIGTERM ends us
    tasks = periodic_tasks(rt)
    tick = min(1.0, *(task.period for task in tasks))
    token = secrets.token_hex(8)
    while os.getppid() == parent_pid:
        for task in tasks:
            task.run_if_due(rt, token)
        time.sleep(tick)


def _checkpoint_safely(rt: Runtime) -> None:
    audit_checkpoint.checkpoint_quietly(rt, "periodic")


def _rules_version_safely(rt: Runtime) -> None:
    """An edit of the rule files is audited (``config:rules``) even while nobody posts."""
    try:
        check_rules_version(rt)
    except Exception:
        log.exception("checking the rules' version failed")


def _rescue_safely(rt: Runtime) -> None:
    try:
        rescue_overdue(rt)
        rescue_abandoned(rt)
        resume_running_takedowns(rt)  # a takedown whose worker died: within its lease time
    except RedisError:
        pass  # Redis is away: nothing is scheduled until it is back, and then this runs again
    except Exception:
        log.exception("moving overdue scheduled jobs failed")


def _takedowns_without_redis_safely(rt: Runtime) -> None:
    """Running takedowns run here while Redis does not answer (:mod:`workers.
    takedown_without_redis`)."""
    try:
        run_takedowns_without_redis(rt)
    except Exception:
        log.exception("running takedowns without Redis failed")


def _server_limits_safely(rt: Runtime) -> None:
    """Each Mastodon-API account's limits are read again daily (a gate per hour finds the
    accounts whose last reading is a day old)."""
    try:
        refresh_due_limits(rt)
    except Exception:
        log.exception("reading the servers' limits failed")


def _tokens_safely(rt: Runtime) -> None:
    """OAuth tokens that end soon get their refresh job (:mod:`workers.tokens`)."""
    try:
        queue_due_refreshes(rt)
    except Exception:
        log.exception("queueing token refreshes failed")


def _reconcile_safely(rt: Runtime) -> None:
    try:
        reconcile_once(rt)
    except Exception:  # the next period tries again; a worker must not die of it
        log.exception("reconcile pass failed")
