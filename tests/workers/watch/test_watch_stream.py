"""The watch by stream (Mastodon's user stream, served by the sandbox): what Postgate did not
do is alerted within the event's delivery, Postgate's own posts never are (invariant 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sandbox import client as sandbox_client
from tests.helpers import wait_until

from .conftest import REWRITTEN, alerts, wait_alerts

pytestmark = pytest.mark.platform_protocol


def test_attacker_posts_of_every_visibility_are_alerted_with_their_evidence(
    watch_rt, stream, attacker
):
    from postgate.store.models import AuditEntry

    stream()
    made = [
        attacker.post("Buy crypto now https://scam.example", "public"),
        attacker.post("Followers only: send your password", "private"),
        attacker.post("@victim@other.example DM me your card", "direct"),
    ]
    found = wait_alerts(watch_rt, 3)
    assert [a.kind for a in found] == ["unauthorized_post"] * 3
    assert [a.remote_id for a in found] == [m["id"] for m in made]
    assert [a.visibility for a in found] == ["public", "private", "direct"]
    assert found[0].text.startswith("Buy crypto now") and found[0].url == made[0]["url"]
    assert all(a.via == "stream" and a.at <= a.detected_at for a in found)
    assert found[0].evidence["raw"]["id"] == made[0]["id"]
    with watch_rt.store.session() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "watch.alert")))
    assert len(entries) == 3
    assert entries[0].details["account"] == "acme"
    assert entries[0].details["kind"] == "unauthorized_post"
    assert entries[0].details["remote_id"] == made[0]["id"]
    assert {"url", "text", "at"} <= set(entries[0].details)


def test_postgate_posts_never_alarm_however_rewritten_but_their_edits_and_deletions_do(
    watch_rt, stream, attacker, publish
):
    stream()
    posts = [publish(text) for text in REWRITTEN]
    sandbox_client.drop_streams(attacker.url)  # and resumed: the backfill must agree too
    attacker.post("after the drop")
    wait_alerts(watch_rt, 1)
    assert [a.kind for a in alerts(watch_rt)] == ["unauthorized_post"]

    attacker.edit(posts[0].remote_id, "Edited by someone else")
    attacker.delete(posts[1].remote_id)
    found = wait_alerts(watch_rt, 3)
    edited, deleted = found[1], found[2]
    assert (edited.kind, edited.post_id, edited.text) == (
        "edited",
        posts[0].id,
        "Edited by someone else",
    )
    assert edited.evidence["approved_text"] == REWRITTEN[0]
    assert (deleted.kind, deleted.post_id, deleted.remote_id) == (
        "deleted",
        posts[1].id,
        posts[1].remote_id,
    )


def test_a_post_being_published_does_not_alarm_before_its_answer_is_stored(
    watch_rt, stream, attacker, poster, account_id
):
    """The stream shows the post before the worker has stored the platform's answer: the
    watch recognises the claimed post (rewritten by the platform) and waits for the store."""
    from postgate.platforms.base import RemotePost
    from postgate.services.publishing import mark_published
    from postgate.store.models import Post

    text = REWRITTEN[0]
    watcher = stream()
    post_id = poster.schedule(text, seconds=None)
    claim(watch_rt, post_id, "worker-a")
    made = attacker.post(text)  # what the worker's create made on the platform
    wait_until(lambda: made["id"] in watcher.pending, 10, "the stream to show the post")
    assert alerts(watch_rt) == []
    remote = RemotePost(made["id"], text, datetime.now(UTC), made["url"])
    assert mark_published(watch_rt, post_id, "worker-a", remote, how="answer")
    wait_until(lambda: made["id"] not in watcher.pending, 10, "the post to be judged ours")
    assert alerts(watch_rt) == []

    # A claim that ends without the post: what the platform shows was not Postgate's.
    other = poster.schedule(REWRITTEN[2], seconds=None)
    claim(watch_rt, other, "worker-b")
    fake = attacker.post(REWRITTEN[2])
    wait_until(lambda: fake["id"] in watcher.pending, 10, "the stream to show the post")
    with watch_rt.store.transaction() as db:
        db.execute(update(Post).where(Post.id == other).values(status="failed", claim_token=None))
    found = wait_alerts(watch_rt, 1)
    assert (found[0].kind, found[0].remote_id) == ("unauthorized_post", fake["id"])


def claim(rt, post_id: int, token: str) -> None:
    from postgate.store.models import Post

    with rt.store.transaction() as db:
        db.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(
                status="publishing",
                claim_token=token,
                claimed_at=datetime.now(UTC) - timedelta(seconds=1),
                attempts=1,
            )
        )


def test_a_dropped_stream_resumes_without_missing_a_post(watch_rt, stream, attacker):
    watcher = stream()
    sandbox_client.set_streaming(attacker.url, enabled=False)
    assert sandbox_client.drop_streams(attacker.url) == 1
    wait_until(lambda: not watcher.connected.is_set(), 10, "the watch to see the drop")
    missed = [attacker.post(f"posted while the stream was down {n}") for n in range(3)]
    sandbox_client.set_streaming(attacker.url, enabled=True)
    wait_until(watcher.connected.is_set, 15, "the stream to reopen")
    after = attacker.post("posted after the stream came back")
    found = wait_alerts(watch_rt, 4)
    assert sorted(a.remote_id for a in found) == sorted(m["id"] for m in [*missed, after])
    assert len(alerts(watch_rt)) == 4  # seen by the backfill and the stream: one alert each


def test_profile_changes_are_alerted_with_before_and_after(watch_rt, stream, attacker):
    stream()
    wait_until(lambda: profile_read(watch_rt), 10, "the first profile reading")
    attacker.profile(
        files={"avatar": b"\x89PNG evil"},
        display_name="Free Crypto",
        note="Send 1 BTC, get 2 back",
        **{"fields_attributes[0][name]": "Claim", "fields_attributes[0][value]": "scam.example"},
    )
    found = wait_alerts(watch_rt, 1)
    alert = found[0]
    assert alert.kind == "profile_changed"
    assert alert.evidence["changed"] == ["avatar", "display_name", "fields", "note"]
    assert alert.evidence["after"]["display_name"] == "Free Crypto"
    assert alert.evidence["before"]["display_name"] == "acme"
    assert "Send 1 BTC" in alert.text
    attacker.profile(files={"header": b"\x89PNG header"})
    found = wait_alerts(watch_rt, 2)
    assert found[1].evidence["changed"] == ["header"]


def profile_read(rt) -> bool:
    from postgate.store.models import WatchState

    with rt.store.session() as db:
        return db.scalar(select(WatchState.profile_hash)) not in (None, "")


def test_an_alert_freezes_the_account_when_it_says_so(watch_rt, stream, attacker, account_id):
    from postgate.store.models import Account, AuditEntry, Freeze

    with watch_rt.store.transaction() as db:
        db.get(Account, account_id).watch_auto_freeze = True
    stream()
    attacker.post("hacked")
    found = wait_alerts(watch_rt, 1)
    assert found[0].froze
    with watch_rt.store.session() as db:
        freeze = db.scalar(select(Freeze).where(Freeze.lifted_at.is_(None)))
        assert freeze.account_id == account_id and freeze.created_by_id is None
        assert f"#{found[0].id}" in freeze.reason
        actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions[-2:] == ["watch.alert", "freeze:set"]


def test_a_real_worker_streams_the_account_and_alerts(watch_rt, account, workers, attacker):
    """``postgate worker``: its periodic process keeps the account's stream."""
    workers.env["POSTGATE_WATCH_ENABLED"] = "true"  # the tests' settings leave it off
    workers.start()
    wait_until(
        lambda: sandbox_client.set_streaming(attacker.url)["connections"] == 1,
        30,
        "the worker to open the stream",
    )
    wait_until(lambda: profile_read(watch_rt), 15, "the worker's catch-up reading")
    made = attacker.post("posted while a real worker watches")
    found = wait_alerts(watch_rt, 1, timeout=15)
    assert (found[0].remote_id, found[0].via) == (made["id"], "stream")
