"""Redis stopped and started again, and Redis flushed, while posts are being submitted,
approved and published: real processes throughout (the web app under gunicorn, two workers,
a redis-server of the test's own, the sandbox platform), and an API client counting every
answer. Nothing is lost, nothing is published twice, no answer is a 5xx, no process dies.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from postgate.store.models import Post
from tests.outages import private_redis as private_redis  # a fixture
from tests.workers.live import running_postgate

# Every post due while Redis was away is published within this long of Redis answering
# again: the worker runs a reconcile pass as soon as it does (plus a job's own run time).
BACK_WITHIN = timedelta(seconds=6)


@pytest.fixture
def redis_url(private_redis) -> str:
    return private_redis.url


@pytest.fixture
def live(env, rt, account, workers, sandbox_url, tmp_path):
    with running_postgate(env, rt, workers, sandbox_url, tmp_path) as running:
        yield running


def published_late(rt, post_ids, back: datetime) -> list[str]:
    """Posts published later than BACK_WITHIN after the later of their due time and ``back``."""
    late = []
    with rt.store.session() as db:
        for post_id in post_ids:
            post = db.get(Post, post_id)
            due = max(post.scheduled_at, back)
            if post.published_at is None or post.published_at > due + BACK_WITHIN:
                late.append(f"post {post_id} due {post.scheduled_at} published {post.published_at}")
    return late


def check_nothing_lost(live, rt, workers, back: datetime) -> None:
    live.campaign.join()
    live.campaign.poll_until_published(timeout=25)
    assert live.campaign.lost_and_duplicated() == (0, 0)
    assert live.tally.server_errors == [], live.tally.server_errors
    late = published_late(rt, live.campaign.texts.values(), back)
    assert late == [], f"Redis back at {back}: {late}\n{workers.log_text()[-4000:]}"
    assert all(proc.poll() is None for proc in workers.procs), workers.log_text()
    assert live.web.proc.poll() is None


def test_redis_stopping_and_starting_again_loses_nothing(live, rt, workers, private_redis):
    live.campaign.run_in_background(count=12, every=0.3, ahead=1.5, tag="Redis redémarre")
    time.sleep(1.5)
    private_redis.stop()  # every scheduled job, queue and lease goes with it
    time.sleep(3)
    private_redis.start()
    back = datetime.now(UTC)
    check_nothing_lost(live, rt, workers, back)
    assert len(live.campaign.texts) == 12


def test_redis_flushed_loses_nothing(live, rt, workers, private_redis):
    live.campaign.run_in_background(count=12, every=0.3, ahead=1.5, tag="Redis vidé")
    time.sleep(2)
    private_redis.flushall()
    back = datetime.now(UTC)
    check_nothing_lost(live, rt, workers, back)
