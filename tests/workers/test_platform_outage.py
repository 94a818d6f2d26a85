"""A platform outage is waited out, whatever it answers meanwhile (issue 11).

The platform answers every request with 503 for a while: each publish's outcome is unknown,
and the read-backs that would settle it are refused too. Time is compressed through the
settings (a 2 s settle time, a reconciler pass a second, 3 attempts and a 10-minute retry
horizon, against 30 s, 30 s, 5 and 6 hours by default), so an outage of 12 s stands for one
of several minutes: the posts wait (retried with backoff, never ``failed``, never sent
again blindly), and once the platform answers, each is published exactly once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.scenes import duplicates, enqueue_all, make_accounts, make_people, make_posts
from postgate.store.models import Post
from sandbox import client as sandbox_client
from tests.helpers import wait_until

pytestmark = pytest.mark.platform_protocol

POSTS, OUTAGE = 8, 12.0


def test_posts_due_during_an_outage_are_published_once_after_it(workers, rt, sandbox_url, tmp_path):
    config = tmp_path / "postgate.toml"
    config.write_text(
        config.read_text().replace("retry_horizon_seconds = 0", "retry_horizon_seconds = 600")
    )
    accounts = make_accounts(rt, sandbox_url, ["down"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    plan = [(*accounts[0], start + timedelta(seconds=n / 2)) for n in range(POSTS)]
    posts = make_posts(rt, make_people(rt), plan)
    enqueue_all(rt, posts)
    sandbox_client.set_faults(sandbox_url, error_rate=1.0)  # down: 503 to everything
    workers.start()
    workers.start()
    ids = [p for p, _ in posts]
    told = wait_until(  # a 503 to a publish: unknown outcome; the read-back is refused too
        lambda: [p for p in _posts(rt, ids) if "cannot be read back" in p.status_reason],
        OUTAGE,
        "a post saying its account cannot be read back",
    )
    assert all(p.outcome_unknown for p in told)
    time.sleep(max(0.0, start.timestamp() + OUTAGE - time.time()))
    during = _posts(rt, ids)
    assert all(p.status in ("scheduled", "publishing") for p in during), [p.status for p in during]
    assert sandbox_client.list_live(sandbox_url, "down") == []
    sandbox_client.set_faults(sandbox_url, error_rate=0.0)  # the platform is back
    back = time.time()
    wait_until(
        lambda: all(p.status == "published" for p in _posts(rt, ids)),
        60,
        lambda: [(p.id, p.status, p.status_reason) for p in _posts(rt, ids)],
    )
    doubled, live = duplicates(sandbox_url, ["down"])
    assert doubled == 0 and sum(live.values()) == POSTS
    calls = sandbox_client.arrivals(sandbox_url, "down")
    creates_during = [
        a for a in calls if a["method"] == "POST" and a["at"] < start.timestamp() + OUTAGE
    ]
    assert len(creates_during) <= POSTS  # no post was sent again while its outcome was unknown
    listings = [a for a in calls if a["method"] == "GET" and a["at"] > back]
    assert len(listings) < POSTS // 2, listings  # one read-back settled the stuck posts together


def _posts(rt, post_ids: list[int]) -> list[Post]:
    with rt.store.session() as db:
        rows = [db.get(Post, p) for p in post_ids]
        for row in rows:
            db.expunge(row)
        return rows
