"""Worker heartbeats in the store and Redis, and the verdict ``postgate worker --check`` gives.

The check with real worker processes is in ``tests/deploy/test_compose.py``; here the clock
is passed in, so staleness is shown without waiting.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from postgate.heartbeat import STALE_BEATS, HeartbeatWriter, check, read_beats
from postgate.store.models import WorkerHeartbeat
from postgate.store.types import utcnow


def test_a_fresh_beat_is_healthy_and_a_silent_worker_goes_stale(rt):
    writer = HeartbeatWriter(rt, "w1")
    writer.maybe_beat()
    assert check(rt, name="w1").healthy
    limit = STALE_BEATS * rt.settings.heartbeat_seconds
    later = writer.beat.beat_at + timedelta(seconds=limit + 1)
    verdict = check(rt, name="w1", now=later)
    assert not verdict.healthy and "stale" in verdict.message and f"{limit} s" in verdict.message


def test_no_beat_at_all_is_missing(rt):
    verdict = check(rt)
    assert not verdict.healthy and "no heartbeat" in verdict.message


def test_a_warm_stop_reads_as_stopped_not_stale(rt):
    writer = HeartbeatWriter(rt, "w1")
    writer.maybe_beat()
    writer.stop()
    verdict = check(rt, name="w1")
    assert not verdict.healthy and "stopped" in verdict.message


def test_the_check_asks_about_this_host_and_the_newest_of_its_workers(rt):
    old = HeartbeatWriter(rt, "old")
    old.maybe_beat(now=utcnow() - timedelta(minutes=5))
    HeartbeatWriter(rt, "new").maybe_beat()
    assert check(rt).healthy, "the newest worker of the host beats"
    assert not check(rt, name="old").healthy
    assert not check(rt, host="another-machine").healthy


def test_each_copy_alone_answers_the_check(rt):
    """Store and Redis are written separately, so losing either still leaves an answer."""
    HeartbeatWriter(rt, "w1").maybe_beat()
    rt.redis.delete(rt.key("worker-heartbeats", HeartbeatWriter(rt).beat.host))
    assert check(rt, name="w1").healthy, "from the store alone"
    HeartbeatWriter(rt, "w2").maybe_beat()
    with rt.store.transaction() as db:
        db.query(WorkerHeartbeat).delete()
    assert check(rt, name="w2").healthy, "from Redis alone"


def test_an_unreachable_redis_is_named_when_nothing_answers(rt):
    from postgate.runtime import Runtime

    broken = Runtime(rt.settings.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    beats, problems = read_beats(broken, "nowhere")
    assert beats == [] and problems == ["Redis: ConnectionError"]
    assert "could not read Redis" in check(broken, host="nowhere").message


def test_beats_are_throttled_to_one_per_half_period(rt):
    writer = HeartbeatWriter(rt, "w1")
    start = utcnow()
    writer.maybe_beat(now=start)
    writer.maybe_beat(now=start + timedelta(seconds=rt.settings.heartbeat_seconds / 4))
    with rt.store.session() as db:
        assert db.scalar(select(WorkerHeartbeat.beat_at)) == start
    writer.maybe_beat(now=start + timedelta(seconds=rt.settings.heartbeat_seconds))
    with rt.store.session() as db:
        assert db.scalar(select(WorkerHeartbeat.beat_at)) > start


def test_rows_of_workers_gone_for_a_week_are_forgotten(rt):
    HeartbeatWriter(rt, "gone").maybe_beat(now=utcnow() - timedelta(days=8))
    HeartbeatWriter(rt, "here").maybe_beat()
    with rt.store.session() as db:
        assert set(db.scalars(select(WorkerHeartbeat.name))) == {"here"}
