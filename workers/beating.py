"""An RQ worker that writes Postgate's heartbeat whenever RQ refreshes its own.

RQ calls :meth:`Worker.heartbeat` before each wait for a job, after each job and, while a
work horse runs a job, every ``job_monitoring_interval`` seconds. The runner sets that
interval and the wait (``worker_ttl - 15``) to the heartbeat period, so a live worker beats
at least once a period whether it is idle or busy, and a worker stuck anywhere else stops
beating. Postgate's beat is written first, so it still reaches the store while Redis is away.
It also binds each job's request id for the logs (:mod:`postgate.logs`).

Three ways to run a job (``[workers] class``, ``POSTGATE_WORKER_CLASS``): ``fork`` (RQ's
default ``Worker``: a work horse forked per job), ``simple`` (``SimpleWorker``: the job runs
in the worker process itself, which keeps its database and Redis connections and its warmed
caches from one job to the next) and ``spawn`` (``SpawnWorker``: a fresh interpreter per job,
for platforms without fork). A simple worker has no horse to watch while a job runs, so a
thread keeps Postgate's heartbeat going during long jobs (a takedown may run for hours); the
job's timeout still ends a stuck job (RQ's ``SIGALRM`` death penalty). docs/publishing.md
has the measurements behind the default.
"""

from __future__ import annotations

import threading
from typing import Any

from rq import SimpleWorker, SpawnWorker, Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue
from rq.worker.base import BaseWorker, WorkerStatus

from postgate.heartbeat import HeartbeatWriter
from postgate.logs import request_id_bound
from workers.scheduling import OrphanSafeScheduler


class RequestIdBinding:
    """Run each job with the request id of the request that queued it (else the job's id)
    on every log line, so a publish can be followed from the approval to the platform."""

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        with request_id_bound(job.meta.get("request_id") or job.id):
            return super().perform_job(job, queue, *args, **kwargs)  # type: ignore[misc]


class Beating(BaseWorker):
    """Postgate's heartbeat and scheduler, for any of RQ's worker classes (a mixin: it comes
    before the RQ class in each worker's bases)."""

    #: RQ waits for a Redis that went away with a pause doubling up to a minute, and keeps
    #: sleeping after Redis is back: posts due meanwhile would wait for the pause to end.
    #: Two seconds at most between tries keeps a returning Redis' backlog moving at once.
    max_connection_wait_time = 2.0

    def __init__(self, *args: Any, heartbeat: HeartbeatWriter | None = None, **kwargs: Any) -> None:
        """``heartbeat`` is None only in a spawned work horse, which RQ builds again from the
        worker's key: the worker itself speaks for it."""
        if heartbeat is not None:
            period = heartbeat.rt.settings.heartbeat_seconds
            kwargs.setdefault("worker_ttl", period + 15)
            kwargs.setdefault("job_monitoring_interval", period)
        super().__init__(*args, **kwargs)
        self.postgate_heartbeat = heartbeat

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if self.postgate_heartbeat is not None:
            self.postgate_heartbeat.maybe_beat()
            self._stop_if_requested_meanwhile()
        super().heartbeat(timeout, pipeline)

    def _stop_if_requested_meanwhile(self) -> None:
        """Carry on a stop that arrived during the beat's write. RQ stops an idle worker by
        raising ``StopRequested`` from its signal handler wherever the worker is; raised inside
        the write (a database that answers slowly), the write's own error handling took it for
        a failed write, and the worker went back to waiting for jobs until SIGKILL. RQ leaves
        the request's date behind either way (a busy worker's stop is only a flag, kept)."""
        stop_asked = self._shutdown_requested_date is not None
        if stop_asked and not self._stop_requested and self.get_state() != WorkerStatus.BUSY:
            raise StopRequested()

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = "%H:%M:%S",
        log_format: str = "%(asctime)s %(message)s",
    ) -> None:
        """RQ's own start of the scheduler, with a scheduler that ends with this worker
        (:mod:`workers.scheduling`). RQ offers no hook for the class, hence the copy."""
        self.scheduler = OrphanSafeScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()


class BeatingWorker(RequestIdBinding, Beating, Worker):
    """``fork``: RQ's default worker, a work horse forked per job."""


class BeatingSpawnWorker(RequestIdBinding, Beating, SpawnWorker):
    """``spawn``: a fresh interpreter per job (platforms without fork)."""


class BeatingSimpleWorker(RequestIdBinding, Beating, SimpleWorker):
    """``simple``: each job in the worker process, with a thread beating while it runs."""

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        done = threading.Event()
        beater = threading.Thread(target=self._beat_until, args=(done,), daemon=True)
        beater.start()
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            done.set()
            beater.join(timeout=5)

    def _beat_until(self, done: threading.Event) -> None:
        beat = self.postgate_heartbeat
        if beat is None:
            return
        while not done.wait(beat.rt.settings.heartbeat_seconds):
            beat.maybe_beat()


WORKER_CLASSES: dict[str, type[Beating]] = {
    "fork": BeatingWorker,
    "simple": BeatingSimpleWorker,
    "spawn": BeatingSpawnWorker,
}
