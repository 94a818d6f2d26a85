"""A takedown whose worker dies is taken up again and finished by another."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.services.takedown_dispatch import resume_running_takedowns
from postgate.store.models import Account, Takedown
from sandbox import client as sandbox
from tests.workers.takedown.support import (
    build_scene,
    kill,
    live_texts,
    start,
    wait_done,
    wait_progress,
)

ITEMS = 14  # in the window: 4 of Postgate's posts and 10 of the attacker's


@pytest.fixture
def small_scene(rt, actors, platform):
    """acme: one old attacker post and one old Postgate post before ``since``, then
    ``ITEMS`` posts in the window.

    Fewer than the ``scene`` of the other takedown tests on purpose: the sandbox's
    documented deletion limit (30 per 30 minutes, which Postgate paces itself by) must hold
    every delete call of both runs, or the resumed run rightly waits half an hour. The dead
    run's calls whose answers it never stored are settled by the next run without another
    delete where it can confirm them (test_takedown_confirm.py), and sent again where it
    cannot; how many the dead run sent depends on when the kill lands, at most ``ITEMS``."""
    return build_scene(rt, actors, platform, old_attacks=1, ours=4, attacks=ITEMS - 4, others=0)


@pytest.mark.postgresql_pass  # a crash shape of production's workers, on its store
def test_killed_worker_midway_is_resumed_by_another(rt, client, actors, small_scene, workers):
    scene = small_scene
    lead = actors.person("sam", "security")
    url = scene["url"]
    sandbox.set_faults(url, latency_ms=1000)  # the kill lands midway
    first_worker = workers()
    takedown = start(client, lead, scene["since"], accounts=["acme"]).get_json()
    body = wait_progress(client, lead, takedown["id"], deleted=4, step=0.1)
    kill(first_worker)
    waiting = body["progress"]["pending"] + body["progress"]["neutralised"]
    assert body["status"] == "running" and waiting > 0
    sandbox.set_faults(url, latency_ms=50)
    workers()  # its reconciler re-enqueues the takedown once the dead run's lease expires
    done = wait_done(client, lead, takedown["id"], timeout=60)
    assert len(done["items"]) == ITEMS
    assert {i["outcome"] for i in done["items"]} <= {"deleted", "not_found"}
    assert live_texts(url, "acme") == {"old attacker post 0", "old legitimate post"}
    with rt.store.session() as db:
        assert db.get(Takedown, takedown["id"]).phase == "done"
        assert db.get(Account, scene["acme"]).status == "compromised"


def test_resume_requeues_only_running_takedowns_that_nothing_works_on(rt, redis):
    """What the reconciler relies on: a running takedown with neither a lease nor a waiting
    job gets one new job; a waiting job or a live lease means it is left alone."""
    from postgate.services.takedown_dispatch import lease_key

    with rt.store.transaction() as db:
        orphan = Takedown(account_ids=[], since=datetime.now(UTC), status="running")
        leased = Takedown(account_ids=[], since=datetime.now(UTC), status="running")
        finished = Takedown(account_ids=[], since=datetime.now(UTC), status="done")
        db.add_all([orphan, leased, finished])
        db.flush()
        ids = orphan.id, leased.id
    redis.set(lease_key(rt, ids[1]), "a live run", px=10_000)
    assert resume_running_takedowns(rt) == [ids[0]]
    assert resume_running_takedowns(rt) == []  # its job is waiting now
