"""Workers outlive a Redis restart and each other's deaths, and no post waits for it.

Real worker processes, a Redis server of the test's own (so it can be stopped), and the
sandbox platform: each test counts what was published, and how late.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import wait_until
from tests.outages import PrivateRedis
from tests.outages import private_redis as private_redis  # a fixture
from tests.workers.conftest import descendants


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
