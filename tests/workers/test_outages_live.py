"""Redis stopped and started again, and Redis flushed, while posts are being submitted,
approved and published: real processes throughout (the web app under gunicorn, two workers,
a redis-server of the test's own, the sandbox platform), and an API client counting every
answer. Nothing is lost, nothing is published twice, no answer is a 5xx, no process dies.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postgate.store.models import Post
from tests.outages import private_redis as private_redis  # a fixture
from tests.workers.live import running_postgate

# The first post due while Redis was away (or before its flush) is published within this
# long of Redis' return (workers reconcile as soon as Redis has lost its memory, not a
# period later), and every one within the longer bound, which leaves room for the backlog
# on a busy two-core machine.
FIRST_BACK_WITHIN = timedelta(seconds=8)
ALL_BACK_WITHIN = timedelta(seconds=25)


@pytest.fixture
def env(env):
    """The workers' ``env`` with the default reconcile period (30 s): only the pass run on
    Redis' return (or flush) can explain posts published within seconds of it."""
    config = Path(env["POSTGATE_CONFIG"])
    config.write_text(config.read_text().replace("reconcile_seconds = 1", "reconcile_seconds = 30"))
    return env


@pytest.fixture
def redis_url(private_redis) -> str:
    return private_redis.url


@pytest.fixture
def live(env, rt, account, workers, sandbox_url, tmp_path):
    with running_postgate(env, rt, workers, sandbox_url, tmp_path) as running:
        yield running


def lateness_after(rt, post_ids, back: datetime) -> tuple[timedelta, timedelta]:
    """Of the posts that were due before ``back`` but not yet published: how long after
    ``back`` the first one published; and the latest any post published after the later of
    its due time and ``back``."""
    with rt.store.session() as db:
        posts = [db.get(Post, post_id) for post_id in post_ids]
    assert all(p.published_at for p in posts)
    waited = [p.published_at - back for p in posts if p.scheduled_at < back < p.published_at]
    latest = max(p.published_at - max(p.scheduled_at, back) for p in posts)
    return min(waited, default=timedelta(0)), latest


def check_nothing_lost(live, rt, workers, back: datetime) -> None:
    live.campaign.join()
    live.campaign.poll_until_published(timeout=40)
    assert live.campaign.lost_and_duplicated() == (0, 0)
    assert live.tally.server_errors == [], live.tally.server_errors
    first, latest = lateness_after(rt, live.campaign.texts.values(), back)
    said = f"Redis back at {back}: first {first}, latest {latest}\n{workers.log_text()[-3000:]}"
    assert first < FIRST_BACK_WITHIN and latest < ALL_BACK_WITHIN, said
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
