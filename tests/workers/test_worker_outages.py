"""Workers outlive a Redis restart and each other's deaths, and no post waits for it.

Real worker processes, a Redis server of the test's own (so it can be stopped), and the
sandbox platform: each test counts what was published, and how late.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis

from tests.conftest import _free_port
from tests.helpers import wait_until
from tests.workers.conftest import descendants


class PrivateRedis:
    """A redis-server the test may stop and start again on the same port, empty each time."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed (scripts/setup-env installs it)"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "redis-server to answer")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None

    def _answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except Exception:
            return False


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    if server.proc is not None:
        server.stop()


@pytest.fixture
def redis_url(private_redis: PrivateRedis) -> str:
    """Everything in these tests (the app, the workers) uses the private Redis."""
    return private_redis.url


def test_a_worker_survives_redis_restarting_empty_and_publishes_what_it_lost(
    workers, poster, private_redis
):
    worker = workers.start()
    lost = "Publié même si Redis a redémarré vide entre-temps."
    lost_id = poster.schedule(lost, seconds=6)
    private_redis.stop()  # its scheduled job goes with it
    time.sleep(4)
    private_redis.start()
    after = "Publié après le retour de Redis."
    after_id = poster.schedule(after, seconds=1)
    poster.wait_status(after_id, "published", timeout=20)
    poster.wait_status(lost_id, "published", timeout=20)
    assert worker.poll() is None, workers.log_text()
    assert len(poster.live(lost)) == 1 and len(poster.live(after)) == 1


def test_the_scheduler_holders_death_delays_a_scheduled_post_by_less_than_10_s(workers, poster):
    holder = workers.start()  # the first worker takes RQ's scheduler lock (61 s lease)
    workers.start()
    workers.kill(holder)
    post_id = poster.schedule("À l'heure malgré la mort de l'ordonnanceur.", seconds=2)
    post = poster.wait_status(post_id, "published", timeout=20)
    assert (post.published_at - post.scheduled_at).total_seconds() < 10


def test_a_worker_killed_alone_leaves_no_process_to_swallow_the_next_job(workers, poster):
    first = workers.start()
    workers.start()
    children = descendants(first.pid)
    os.kill(first.pid, signal.SIGKILL)  # the worker only, as the OOM killer would
    first.wait(timeout=10)
    wait_until(lambda: not any(_alive(pid) for pid in children), 5, "the dead worker's children")
    post_id = poster.schedule("Pas avalé par un ordonnanceur orphelin.", seconds=None)
    post = poster.wait_status(post_id, "published", timeout=10)
    assert post.status == "published"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_job_whose_worker_died_before_its_claim_is_queued_again_within_seconds(
    workers, poster, rt
):
    """The state a worker SIGKILLed between RQ starting the job and the job's claim leaves:
    the job ``started`` in RQ, nobody holding the post's lease, the post ``scheduled``."""
    from rq.registry import StartedJobRegistry

    from postgate import queue

    text = "Repris vite après la mort de son worker."
    post_id = poster.schedule(text, seconds=None)
    publish = queue.named_queue(rt.redis, queue.PUBLISH_QUEUE)
    [job_id] = publish.job_ids
    job = publish.fetch_job(job_id)
    publish.remove(job)
    job.set_status("started")
    job.started_at = datetime.now(UTC) - timedelta(seconds=20)
    job.save()
    registry = StartedJobRegistry(queue=publish)
    rt.redis.zadd(registry.key, {f"{job_id}:dead-execution": time.time() + 600})
    started = time.monotonic()
    workers.start()
    poster.wait_status(post_id, "published", timeout=15)
    assert time.monotonic() - started < 12
    assert len(poster.live(text)) == 1
