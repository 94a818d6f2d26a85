"""The watch by polling: a reading lists the account back over the window and reads its
profile; the job runs on a real RQ worker and spaces readings within the platform's quota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postgate import queue
from tests.helpers import wait_until

from .conftest import REWRITTEN, alerts, run_watch_jobs
from .test_watch_stream import claim

pytestmark = pytest.mark.platform_protocol


def read(rt: Any, account_id: int, later: float = 0.0) -> Any:
    """One reading, ``later`` seconds from now by the watch's clock (a post published less
    than ``SETTLE_MARGIN`` before a listing is not yet expected in it)."""
    from postgate.services.credentials import connector_for_account
    from postgate.store.models import Account
    from workers.watch import read_account

    with rt.store.session() as db:
        account = db.get(Account, account_id)
        with connector_for_account(rt, account) as connector:
            now = datetime.now(UTC) + timedelta(seconds=later)
            return read_account(rt, account_id, connector, via="poll", now=now)


def test_a_reading_alerts_attacker_posts_of_every_visibility_never_postgate_posts(
    watch_rt, account_id, attacker, publish
):
    attacker.post("before the watch began: not an alert")
    read(watch_rt, account_id)  # the first reading: the watch starts here
    posts = [publish(text) for text in REWRITTEN]
    made = [attacker.post(f"attacker {v}", v) for v in ("public", "private", "direct")]
    reading = read(watch_rt, account_id)
    found = alerts(watch_rt)
    assert sorted(a.remote_id for a in found) == sorted(m["id"] for m in made)
    assert {a.kind for a in found} == {"unauthorized_post"} and len(reading.alerts) == 3
    assert all(a.via == "poll" for a in found)
    assert read(watch_rt, account_id).alerts == []  # read again: nothing new
    assert len(alerts(watch_rt)) == 3
    assert all(p.remote_id not in {a.remote_id for a in found} for p in posts)


def test_a_reading_finds_edits_deletions_and_profile_changes(
    watch_rt, account_id, attacker, publish
):
    posts = [publish(text) for text in REWRITTEN[:3]]
    read(watch_rt, account_id)
    attacker.edit(posts[0].remote_id, "rewritten by the attacker")
    attacker.delete(posts[1].remote_id)
    attacker.profile(note="new bio", display_name="Not us")
    read(watch_rt, account_id, later=10)
    found = {a.kind: a for a in alerts(watch_rt)}
    assert set(found) == {"edited", "deleted", "profile_changed"}
    assert found["edited"].post_id == posts[0].id
    assert found["deleted"].remote_id == posts[1].remote_id
    assert found["profile_changed"].evidence["changed"] == ["display_name", "note"]
    attacker.edit(posts[0].remote_id, "and again")  # a second edit is a second alert
    read(watch_rt, account_id)
    assert [a.kind for a in alerts(watch_rt)].count("edited") == 2


def test_a_post_being_published_is_held_aside_by_a_reading(watch_rt, account_id, attacker, poster):
    read(watch_rt, account_id)
    post_id = poster.schedule(REWRITTEN[1], seconds=None)
    claim(watch_rt, post_id, "worker-a")
    made = attacker.post(REWRITTEN[1])
    reading = read(watch_rt, account_id)
    assert [p.remote_id for p in reading.pending] == [made["id"]] and alerts(watch_rt) == []


def test_the_reading_job_runs_on_a_worker_and_spaces_the_next_one(
    watch_rt, account_id, attacker, redis
):
    watch_rt.settings = watch_rt.settings.with_overrides(watch_poll_seconds=30)
    read(watch_rt, account_id)
    attacker.post("seen by the job")
    job_id = queue.enqueue_watch_poll(watch_rt, account_id)
    assert queue.enqueue_watch_poll(watch_rt, account_id) == job_id  # one job at a time
    run_watch_jobs(watch_rt)
    assert [a.text for a in alerts(watch_rt)] == ["seen by the job"]
    ttl = watch_rt.redis.pttl(watch_rt.key("watch-next", account_id))
    assert 25_000 < ttl <= 30_000  # watch_poll_seconds; the sandbox documents no quota


def test_readings_stay_within_the_platforms_quota():
    from postgate.platforms.registry import MASTODON, X
    from postgate.services.watch import poll_interval

    assert poll_interval(60, MASTODON.post_quota, 3) == 60
    # 30 calls a reading, a fifth of 300 calls per 5 minutes: one reading every 150 s
    assert poll_interval(60, MASTODON.post_quota, 30) == 150
    assert poll_interval(10, X.post_quota, 3) == 3 * 900 / (200 * 0.2)
    assert poll_interval(10, None, 100) == 10


def test_the_supervisor_keeps_one_stream_per_account(watch_rt, account_id, attacker, sandbox_url):
    from sandbox import client as sandbox_client
    from workers import watch as watch_worker

    sandbox_client.set_streaming(sandbox_url, heartbeat_seconds=0.2)
    try:
        watch_worker.supervise(watch_rt)
        watcher = watch_worker._streams[account_id]
        wait_until(watcher.connected.is_set, 15, "the stream to open")
        watch_worker.supervise(watch_rt)
        assert watch_worker._streams[account_id] is watcher
        assert sandbox_client.set_streaming(sandbox_url)["connections"] == 1
        attacker.post("seen by the supervised stream")
        wait_until(lambda: alerts(watch_rt), 10, "the alert")
        assert alerts(watch_rt)[0].via == "stream"
    finally:
        watch_worker.stop_streams()
        watcher.join(timeout=10)
    assert not watch_rt.redis.exists(watch_rt.key("watch-stream", account_id))  # released


def test_what_postgates_own_takedown_deletes_or_rewrites_is_not_an_alert(
    watch_rt, account_id, attacker, publish
):
    from postgate.store.models import Takedown, TakedownItem

    posts = [publish(text) for text in REWRITTEN[:2]]
    read(watch_rt, account_id)
    with watch_rt.store.transaction() as db:
        takedown = Takedown(account_ids=[account_id], since=datetime.now(UTC))
        db.add(takedown)
        db.flush()
        for post, outcome in zip(posts, ("deleted", "neutralised"), strict=True):
            db.add(
                TakedownItem(
                    takedown_id=takedown.id,
                    account_id=account_id,
                    post_id=post.id,
                    remote_id=post.remote_id,
                    origin="postgate",
                    evidence={},
                    outcome=outcome,
                )
            )
    attacker.delete(posts[0].remote_id)  # as the takedown's worker does, with the token
    attacker.edit(posts[1].remote_id, "holding text")
    read(watch_rt, account_id)
    assert alerts(watch_rt) == []


def test_a_reading_tracks_as_live_only_postgates_posts_still_published(
    watch_rt, account_id, attacker, publish
):
    """The posts a reading keeps as Postgate's live ones (whose disappearance is a deletion
    alert) are those the store holds as published: not one Postgate took down that the
    platform still lists, nor an attacker's."""
    from postgate.states import PostStatus
    from postgate.store.models import Post, WatchState

    kept, taken_down = (publish(text) for text in REWRITTEN[:2])
    made = attacker.post("attacker")
    with watch_rt.store.transaction() as db:
        db.get(Post, taken_down.id).status = PostStatus.DELETED
    read(watch_rt, account_id)
    with watch_rt.store.session() as db:
        state = db.get(WatchState, account_id)
        live = set(state.ours_live or {})
    assert live == {kept.remote_id}
    assert taken_down.remote_id not in live and made["id"] not in live
