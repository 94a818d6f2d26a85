"""A takedown finishes while Redis is down (issue 16): the attacker may be the one who
stopped it. Real worker processes, a redis-server of the test's own stopped before the
lead presses the button, the realistic sandbox: the request is accepted, a worker's
reconciler runs the takedown under the store's lease, the attacker's posts are deleted and
the token revoked, all before Redis comes back; and Redis' return starts no second run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from postgate.store.models import Takedown, TakedownItem
from sandbox import client as sandbox
from tests.helpers import wait_until
from tests.outages import private_redis as private_redis  # a fixture
from workers import takedown_without_redis


@pytest.fixture
def redis_url(private_redis) -> str:
    return private_redis.url


def live_texts(url: str) -> set[str]:
    return {post["text"] for post in sandbox.list_live(url, "acme")}


def status_of(rt, takedown_id: int) -> str:
    with rt.store.session() as db:
        found = db.get(Takedown, takedown_id)
        return found.status if found else ""


def test_the_takedown_runs_to_the_end_while_redis_is_down(
    rt, client, actors, account, workers, sandbox_url, private_redis
):
    for n in range(5):
        sandbox.post_direct(sandbox_url, "acme", f"attacker post {n}")
    lead = actors.person("sam", "security")
    workers.start()
    workers.start()
    private_redis.stop()

    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    started = client.post(
        "/api/v1/takedowns",
        json={"since": since, "accounts": ["acme"], "otp": lead.code()},
        headers=lead.headers,
    )
    assert started.status_code == 202, started.get_json()
    takedown_id = started.get_json()["id"]
    wait_until(
        lambda: status_of(rt, takedown_id) in ("done", "done_with_gaps"),
        60,
        lambda: f"the takedown to finish without Redis\n{workers.log_text()[-3000:]}",
    )
    assert status_of(rt, takedown_id) == "done", workers.log_text()[-3000:]
    assert not any(text.startswith("attacker") for text in live_texts(sandbox_url))
    with rt.store.session() as db:
        outcomes = [i.outcome for i in db.scalars(select(TakedownItem))]
    assert sorted(outcomes) == ["deleted"] * 5
    assert all(proc.poll() is None for proc in workers.procs), workers.log_text()

    private_redis.start()
    takedown_without_redis.redis_answers(rt) or pytest.fail("Redis did not come back")
    with rt.store.session() as db:
        assert len(db.scalars(select(TakedownItem)).all()) == 5  # nothing run twice


def test_only_one_process_runs_a_takedown_without_redis(rt, client, actors, account, private_redis):
    """Every reconciler tries each second: the store's lease lets one run at a time."""
    from workers.store_lease import StoreLease

    held = StoreLease(rt.store, "takedown:1", seconds=3, heartbeat=1)
    other = StoreLease(rt.store, "takedown:1", seconds=3, heartbeat=1)
    assert held.acquire()
    try:
        assert not other.acquire(wait=0.5)
    finally:
        held.release()
    assert other.acquire()
    other.release()
