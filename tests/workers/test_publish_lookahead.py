"""A post's first publish job comes off RQ's schedule ahead of the post and waits for its
instant inside the job (``[publishing] lookahead_seconds``, docs/publishing.md): the wait
keeps every publish-time check, a freeze arriving during it still stops the post, and a job
queued ahead is never a second publish, whatever the reconciler or RQ run meanwhile.

The jobs run in this process (``workers.jobs.publish``), as a worker would run them, so the
test controls when each one starts; no timing is asserted, only outcomes.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from postgate import queue
from postgate.services.freezes import confirm_freeze, set_freeze
from postgate.store.models import User
from tests.helpers import wait_until
from workers.claims import lease_key
from workers.jobs import early_sleep, publish
from workers.reconcile import reconcile_once


def test_ahead_of_is_the_whole_second_before_by_the_look_ahead() -> None:
    when = datetime(2026, 11, 30, 12, 0, 10, 700_000, tzinfo=UTC)
    assert queue.ahead_of(when, 1) == datetime(2026, 11, 30, 12, 0, 9, tzinfo=UTC)
    assert queue.ahead_of(when, 0) == queue.not_before(when)  # none: the instant, rounded up
    assert queue.ahead_of(when, 60) == when.replace(microsecond=0) - timedelta(
        seconds=queue.MAX_LOOKAHEAD
    )


def test_a_first_job_is_scheduled_ahead_and_a_retry_at_its_own_time(rt) -> None:
    when = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=400_000)
    registry = ScheduledJobRegistry(queue.PUBLISH_QUEUE, connection=rt.redis)
    first = queue.enqueue_publish(rt, 71, 1, when)
    retry = queue.enqueue_publish(rt, 72, 1, when, attempts=2)
    lookahead = rt.settings.publish_lookahead_seconds
    assert lookahead >= 1
    start = registry.get_scheduled_time(first).replace(tzinfo=UTC)
    assert start == when.replace(microsecond=0) - timedelta(seconds=lookahead)
    assert registry.get_scheduled_time(retry).replace(tzinfo=UTC) >= when
    assert early_sleep(rt) >= lookahead + 2  # a job that early still waits, not reschedules


def test_a_freeze_arriving_while_the_job_waits_stops_the_post(rt, poster, actors) -> None:
    security = actors.person("sam", "security")
    post_id = poster.schedule("Lancement de la collection d'hiver.", seconds=2.5)
    post = poster.post(post_id)
    outcome: list[str] = []
    job = threading.Thread(target=lambda: outcome.append(publish(rt, post_id, post.revision)))
    job.start()
    wait_until(lambda: rt.redis.exists(lease_key(rt, post_id)), 5, "the job to take its lease")
    assert poster.post(post_id).status == "scheduled"  # it is waiting for the instant
    with rt.store.transaction() as db:  # what POST /api/v1/freeze does, handshake included
        actor = db.scalar(select(User).where(User.username == security.username))
        result = set_freeze(rt, db, actor, None, "compte compromis")
    confirm_freeze(rt, result.scope)
    assert datetime.now(UTC) < post.scheduled_at, "the test was too slow to freeze in time"
    job.join(timeout=15)
    assert outcome and outcome[0].startswith("blocked"), outcome
    blocked = poster.post(post_id)
    assert blocked.status == "blocked" and "frozen" in blocked.status_reason
    assert poster.live() == []


def test_a_job_queued_ahead_is_published_once_whatever_runs_meanwhile(rt, poster) -> None:
    """The reconciler passes while the job is queued ahead and again while it waits in the
    job; RQ delivers the job a second time during the wait: one post on the platform."""
    text = "Nos boutiques ouvrent dimanche."
    post_id = poster.schedule(text, seconds=8)  # the API queued the job, ahead
    post = poster.post(post_id)
    registry = ScheduledJobRegistry(queue.PUBLISH_QUEUE, connection=rt.redis)
    job_id = queue.publish_job_id(post_id, post.revision)
    assert job_id in registry.get_job_ids()
    assert reconcile_once(rt).enqueued == 0  # the job queued ahead is the one it expects
    time.sleep(max(0.0, (post.scheduled_at - datetime.now(UTC)).total_seconds() - 2))
    outcomes: list[str] = []

    def run() -> None:
        outcomes.append(publish(rt, post_id, post.revision))

    first = threading.Thread(target=run)
    first.start()
    wait_until(lambda: rt.redis.exists(lease_key(rt, post_id)), 5, "the job to take its lease")
    reconcile_once(rt)  # while the job waits for the instant
    second = threading.Thread(target=run)  # RQ running the same job twice
    second.start()
    for thread in (first, second):
        thread.join(timeout=20)
    published = poster.wait_status(post_id, "published", timeout=10)
    assert len(poster.live(text)) == 1 and published.attempts == 1
    assert sum(o.startswith("published") for o in outcomes) == 1, outcomes
