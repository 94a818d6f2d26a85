"""A resumed takedown settles the deletes a killed run sent without sending them again.

Against the sandbox in its realistic mode: Mastodon's deletion limit (30 per account per 30
minutes) and the owner's listing of every visibility. The first worker is SIGKILLed while
its delete calls have been carried out by the platform but their answers are still held
(the sandbox's ``delete_hold_ms``), so the store has counted each call (``attempts``) and
recorded none. The scene has 26 posts to delete, the dead run's calls included, within one
window of 30: sending those calls again, or counting them twice in the account's request
budget, would spend the window, and the takedown would wait half an hour for the next.
(Postgate's budget errs on the side of caution by a call or two when deletions run
concurrently, so the scene leaves it that margin.)
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select, update

from postgate.store.models import TakedownItem
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from sandbox.switches import Realism
from tests.helpers import wait_until
from tests.workers.takedown.support import build_scene, kill, live_texts, start, wait_done
from workers.takedown_account import CONFIRMED_GONE, DELETERS_PER_ACCOUNT

ITEMS = 26  # 2 of Postgate's posts and 24 of the attacker's: within one window of 30
HOLD_MS = 8_000  # the held answers: below the connector's 10 s timeout, long enough to kill
STATUS_PATH = re.compile(r"/api/v1/statuses/(\d+)")


@pytest.fixture
def platform(tmp_path):
    """The sandbox as Mastodon behaves, its deletion limit of 30 per 30 minutes included."""
    assert str(Realism().deletion_limit) == "30/1800"
    with running_sandbox(tmp_path / "sandbox", realism=Realism()) as url:
        yield url


@pytest.fixture
def scene(rt, actors, platform):
    return build_scene(rt, actors, platform, old_attacks=1, ours=2, attacks=ITEMS - 2, others=0)


def calls(url: str, method: str) -> Counter[str]:
    """Status id -> how many ``method /api/v1/statuses/:id`` calls the sandbox received."""
    found: Counter[str] = Counter()
    for arrival in sandbox.arrivals(url, "acme"):
        match = STATUS_PATH.fullmatch(arrival["path"])
        if match and arrival["method"] == method:
            found[match.group(1)] += 1
    return found


def kill_while_deletes_wait(client, lead, scene, workers) -> tuple[int, set[str]]:
    """Start the takedown, and SIGKILL its worker once its first delete calls were carried
    out by the platform while their answers are still on the way; returns the takedown and
    the ids those calls deleted."""
    url = scene["url"]
    sandbox.set_faults(url, delete_hold_ms=HOLD_MS)
    first_worker = workers()
    takedown = start(client, lead, scene["since"], accounts=["acme"]).get_json()["id"]

    def in_flight() -> Counter[str] | None:
        sent = calls(url, "DELETE")
        return sent if len(sent) >= DELETERS_PER_ACCOUNT else None

    sent = wait_until(in_flight, 60, "the first delete calls")
    live = {p["id"] for p in sandbox.list_live(url, "acme")}
    assert not set(sent) & live  # carried out: only their answers wait
    kill(first_worker)
    sandbox.set_faults(url, delete_hold_ms=0)
    return takedown, set(sent)


def items_by_remote_id(rt, takedown: int) -> dict[str, TakedownItem]:
    with rt.store.session() as db:
        rows = db.scalars(select(TakedownItem).where(TakedownItem.takedown_id == takedown)).all()
        for row in rows:
            db.expunge(row)
    return {row.remote_id: row for row in rows}


def test_resumed_takedown_sends_no_delete_twice(rt, client, actors, scene, workers):
    url = scene["url"]
    lead = actors.person("sam", "security")
    takedown, sent = kill_while_deletes_wait(client, lead, scene, workers)
    before = items_by_remote_id(rt, takedown)
    assert len(before) == ITEMS
    assert all(before[rid].attempts > 0 and before[rid].outcome != "deleted" for rid in sent)

    workers()  # the reconciler queues the takedown again once the dead run's lease expires
    done = wait_done(client, lead, takedown, timeout=90)

    items = {item["remote_id"]: item for item in done["items"]}
    assert set(items) == set(before) and {i["outcome"] for i in items.values()} == {"deleted"}
    assert calls(url, "DELETE") == Counter(dict.fromkeys(items, 1))  # one call per post
    assert {rid for rid, item in items.items() if item["reason"] == CONFIRMED_GONE} == sent
    assert calls(url, "GET") == Counter(dict.fromkeys(sent, 1))  # one read each, no more
    assert not [a for a in sandbox.arrivals(url, "acme") if a["status"] == 429]
    assert sum(calls(url, "DELETE").values()) == ITEMS <= 30  # within the deletion limit
    assert live_texts(url, "acme") == {"old attacker post 0", "old legitimate post"}
    assert done["status"] == "done"


def test_posts_a_listing_leaves_out_are_not_claimed_deleted(rt, client, actors, scene, workers):
    """A hostile (or broken) server leaves live posts out of the listing: a post whose
    delete call was counted but never sent is read on its own (still there: deleted now),
    and a post with no delete call counted is not even asked about: it is deleted."""
    url = scene["url"]
    lead = actors.person("sam", "security")
    takedown, sent = kill_while_deletes_wait(client, lead, scene, workers)
    live = [p["id"] for p in sandbox.list_live(url, "acme")]
    unsent = [rid for rid in items_by_remote_id(rt, takedown) if rid not in sent]
    counted, uncounted = unsent[:3], unsent[3]
    assert set(unsent) <= set(live)
    with rt.store.transaction() as db:  # as a run killed before counting its calls leaves it
        db.execute(
            update(TakedownItem)
            .where(TakedownItem.takedown_id == takedown, TakedownItem.remote_id == uncounted)
            .values(attempts=0)
        )
    before = items_by_remote_id(rt, takedown)
    assert all(before[rid].attempts > 0 for rid in counted)
    sandbox.set_faults(url, unlisted_ids=[*counted, uncounted])

    workers()
    done = wait_done(client, lead, takedown, timeout=90)

    items = {item["remote_id"]: item for item in done["items"]}
    assert {i["outcome"] for i in items.values()} == {"deleted"}
    assert {rid for rid, item in items.items() if item["reason"] == CONFIRMED_GONE} == sent
    reads = calls(url, "GET")
    assert all(reads[rid] == 1 for rid in counted) and uncounted not in reads
    deletes = calls(url, "DELETE")
    assert deletes == Counter(dict.fromkeys(items, 1))  # the hidden ones deleted, once each
    assert not {*counted, uncounted} & {p["id"] for p in sandbox.list_live(url, "acme")}
    assert live_texts(url, "acme") == {"old attacker post 0", "old legitimate post"}
