"""A deletion Postgate made stays ``deleted`` when the run dies before storing its answer.

The attack on honesty: a worker killed between the delete calls and the commit of their
outcomes. The old takedown heard 404 for those posts in the next run and reported them
``not_found``, as if someone else had deleted them. Now the next run confirms them gone
without another delete call (a complete listing no longer shows them, and each answers 404
when read alone); where it cannot ask, it deletes again and takes the 404 for its own.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials


class WorkerDied(Exception):
    pass


@pytest.mark.parametrize("can_read_one_post", [True, False])
def test_deletions_lost_with_their_worker_are_recognised_on_resume(
    rt, client, actors, sandbox_url, monkeypatch, can_read_one_post
):
    from postgate.platforms.mastodon import MastodonConnector
    from workers import takedown
    from workers.takedown_account import CONFIRMED_GONE
    from workers.takedown_items import AccountItems

    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    ids = [sandbox.post_direct(sandbox_url, "acme", f"scam {n}")["id"] for n in range(3)]
    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    started = client.post(
        "/api/v1/takedowns", json={"since": since.isoformat()}, headers=lead.headers
    )
    takedown_id = started.get_json()["id"]

    def die(self, outcomes):
        raise WorkerDied("killed before the outcomes were stored")

    monkeypatch.setattr(AccountItems, "record", die)
    with pytest.raises(WorkerDied):
        takedown.execute(rt, takedown_id)
    assert sandbox.list_live(sandbox_url, "acme") == []  # the calls went through
    monkeypatch.undo()
    if not can_read_one_post:  # as a connector without post_exists
        monkeypatch.setattr(MastodonConnector, "post_exists", lambda self, remote_id: None)

    takedown.execute(rt, takedown_id)  # the resumed run
    done = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert done["status"] == "done"
    items = {i["remote_id"]: i for i in done["items"]}
    assert set(items) == set(ids)
    deletes = [a for a in sandbox.arrivals(sandbox_url, "acme") if a["method"] == "DELETE"]
    for item in items.values():
        assert item["outcome"] == "deleted"
        if can_read_one_post:
            assert item["reason"] == CONFIRMED_GONE and item["attempts"] == 1
        else:
            assert item["reason"].startswith("gone when retried") and item["attempts"] == 2
    assert len(deletes) == len(ids) * (1 if can_read_one_post else 2)


def test_a_dead_runs_takedown_is_queued_again_by_the_rescue_loop(rt, client, actors, sandbox_url):
    """Once the dead run's lease is gone, the once-a-second rescue queues the takedown."""
    from postgate import queue
    from postgate.services.takedown_dispatch import lease_key
    from workers.runner import _rescue_safely

    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    takedown_id = client.post(
        "/api/v1/takedowns", json={"since": since.isoformat()}, headers=lead.headers
    ).get_json()["id"]
    rt.redis.flushdb()  # the queued job is lost with its worker
    rt.redis.set(lease_key(rt, takedown_id), "dead-run", px=50)
    assert not queue.takedown_job_waiting(rt, takedown_id)
    time.sleep(0.1)  # the dead run's lease expires
    _rescue_safely(rt)
    assert queue.takedown_job_waiting(rt, takedown_id)


def test_a_delete_whose_answer_timed_out_is_read_before_it_is_sent_again(
    rt, client, actors, sandbox_url
):
    """Within one run: the platform carried the delete out but its answer came after the
    connector's 10 s timeout. The post is read alone (404) instead of deleted a second time."""
    from workers import takedown

    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    post = sandbox.post_direct(sandbox_url, "acme", "scam")["id"]
    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    takedown_id = client.post(
        "/api/v1/takedowns", json={"since": since.isoformat()}, headers=lead.headers
    ).get_json()["id"]
    sandbox.set_faults(sandbox_url, delete_hold_ms=11_000)

    takedown.execute(rt, takedown_id)

    done = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert done["status"] == "done"
    [item] = done["items"]
    assert item["outcome"] == "deleted" and item["reason"].startswith("gone when retried")
    calls = [
        (a["method"], a["path"])
        for a in sandbox.arrivals(sandbox_url, "acme")
        if a["path"] == f"/api/v1/statuses/{post}" and a["method"] != "PUT"  # neutralised
    ]
    assert calls == [("DELETE", f"/api/v1/statuses/{post}"), ("GET", f"/api/v1/statuses/{post}")]
