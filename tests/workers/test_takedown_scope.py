"""What a takedown touches: every visibility, edits, the lead's choice, never a crisis
statement; and the preview that shows it before anything changes.

The attacks: followers-only and direct posts, and an old Postgate post rewritten on the
platform, which a listing by creation time in the window misses; and a crisis statement
published minutes before the takedown, which the old takedown deleted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from postgate.services.credentials import connector_for_account
from postgate.store.models import Account, Approval, Freeze, Post, Takedown, User
from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials


def publish(rt, author: str, text: str, *, crisis: bool = False, reviewer: str | None = None):
    """A post as the publish worker leaves it: on the platform and a published row."""
    with rt.store.transaction() as db:
        account = db.scalar(select(Account).where(Account.name == "acme"))
        with connector_for_account(rt, account) as connector:
            remote = connector.publish(text, idempotency_key=text)
        author_id = db.scalar(select(User.id).where(User.username == author))
        post = Post(
            account_id=account.id,
            author_id=author_id,
            text=text,
            content_hash="0" * 64,
            status="published",
            remote_id=remote.remote_id,
            remote_url=remote.url,
            published_at=remote.created_at,
            crisis_statement=crisis,
        )
        db.add(post)
        db.flush()
        if reviewer:
            reviewer_id = db.scalar(select(User.id).where(User.username == reviewer))
            db.add(Approval(post_id=post.id, reviewer_id=reviewer_id, content_hash="0" * 64))
        return remote.remote_id


@pytest.fixture
def scene(rt, actors, sandbox_url):
    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    for name in ("alice", "bob"):
        actors.create(name, "author")
    actors.create("rita", "reviewer")
    ids = {"old_ours": publish(rt, "alice", "Spring collection is out", reviewer="rita")}
    ids["old_attacker"] = sandbox.post_direct(sandbox_url, "acme", "attacker, long ago")["id"]
    time.sleep(0.05)
    since = datetime.now(UTC)
    time.sleep(0.05)
    ids["alice"] = publish(rt, "alice", "Alice's post in the window", reviewer="rita")
    ids["bob"] = publish(rt, "bob", "Bob's post in the window")
    ids["crisis"] = publish(rt, "alice", "Our account was hacked; we are on it", crisis=True)
    for visibility in ("public", "private", "direct"):
        posted = sandbox.post_direct(sandbox_url, "acme", f"scam {visibility}", visibility)
        ids[visibility] = posted["id"]
    ids["excluded"] = sandbox.post_direct(sandbox_url, "acme", "keep this one")["id"]
    sandbox.edit_direct(sandbox_url, "acme", ids["old_ours"], "Send BTC to win")
    return {"since": since, "ids": ids, "url": sandbox_url}


def run(rt, client, lead, scene, **extra) -> dict:
    from workers import takedown

    body = {"since": scene["since"].isoformat(), "accounts": ["acme"], **extra}
    started = client.post("/api/v1/takedowns", json=body, headers=lead.headers)
    assert started.status_code == 202, started.get_json()
    takedown.execute(rt, started.get_json()["id"])
    return client.get(
        f"/api/v1/takedowns/{started.get_json()['id']}", headers=lead.headers
    ).get_json()


def live_ids(url: str) -> set[str]:
    return {p["id"] for p in sandbox.list_live(url, "acme")}


def test_default_takes_every_unauthorized_post_and_edited_ones_never_a_crisis_statement(
    rt, client, actors, scene
):
    ids, lead = scene["ids"], actors.person("sam", "security")
    done = run(rt, client, lead, scene, exclude=[ids["excluded"]])
    items = {i["remote_id"]: i for i in done["items"]}
    gone = {ids[k] for k in ("public", "private", "direct", "old_ours")}
    assert set(items) == gone
    assert all(items[i]["outcome"] == "deleted" for i in gone)
    kept = {ids[k] for k in ("old_attacker", "alice", "bob", "crisis", "excluded")}
    assert live_ids(scene["url"]) == kept
    edited = items[ids["old_ours"]]
    assert edited["origin"] == "postgate"
    assert edited["evidence"]["text"] == "Spring collection is out"  # what was approved
    assert edited["evidence"]["platform_text"] == "Send BTC to win"  # what the platform showed
    assert edited["evidence"]["edited_at"] and edited["evidence"]["platform_record"]["id"]
    hidden = items[ids["direct"]]["evidence"]
    assert hidden["visibility"] == "direct" and hidden["platform_record"]["visibility"] == "direct"


def test_the_lead_chooses_whose_postgate_posts_go(rt, client, actors, scene):
    ids, lead = scene["ids"], actors.person("sam", "security")
    run(rt, client, lead, scene, include_postgate=["alice"])
    live = live_ids(scene["url"])
    assert ids["alice"] not in live and ids["bob"] in live and ids["crisis"] in live


def test_all_postgate_posts_still_spares_the_crisis_statement(rt, client, actors, scene):
    ids, lead = scene["ids"], actors.person("sam", "security")
    run(rt, client, lead, scene, include_postgate="all")
    assert live_ids(scene["url"]) == {ids["old_attacker"], ids["crisis"]}


def test_preview_shows_every_post_in_the_window_and_changes_nothing(rt, client, actors, scene):
    ids, lead = scene["ids"], actors.person("sam", "security")
    body = {"since": scene["since"].isoformat(), "include_postgate": ["bob"]}
    before = live_ids(scene["url"])
    answer = client.post("/api/v1/takedowns/preview", json=body, headers=lead.headers)
    assert answer.status_code == 200, answer.get_json()
    preview = answer.get_json()
    by_id = {i["remote_id"]: i for i in preview["items"]}
    assert set(by_id) == {
        ids[k]
        for k in ("alice", "bob", "crisis", "public", "private", "direct", "excluded", "old_ours")
    }
    actions = {
        k: by_id[ids[k]]["action"] for k in ("alice", "bob", "crisis", "private", "old_ours")
    }
    assert actions == {
        "alice": "keep",
        "bob": "delete",
        "crisis": "keep",
        "private": "delete",
        "old_ours": "delete",
    }
    assert by_id[ids["crisis"]]["why"] == "crisis statement: never deleted"
    assert (by_id[ids["alice"]]["author"], by_id[ids["alice"]]["approvers"]) == ("alice", ["rita"])
    assert (
        by_id[ids["public"]]["origin"] == "unauthorized" and by_id[ids["public"]]["author"] is None
    )
    assert by_id[ids["old_ours"]]["approved_text"] == "Spring collection is out"
    listed = [{k: a[k] for k in ("name", "listed", "reason")} for a in preview["accounts"]]
    assert listed == [{"name": "acme", "listed": 9, "reason": ""}]
    assert live_ids(scene["url"]) == before
    with rt.store.session() as db:
        assert db.scalars(select(Takedown)).all() == []
        assert db.scalars(select(Freeze)).all() == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"include_postgate": "some"}, "include_postgate"),
        ({"include_postgate": ["nobody"]}, "include_postgate"),
        ({"include_postgate": 3}, "include_postgate"),
        ({"exclude": "123"}, "exclude"),
        ({"exclude": [""]}, "exclude"),
    ],
)
def test_bad_scope_is_refused_before_anything_is_done(rt, client, actors, scene, extra, field):
    lead = actors.person("sam", "security")
    body = {"since": scene["since"].isoformat(), **extra}
    for path in ("/api/v1/takedowns/preview", "/api/v1/takedowns"):
        answer = client.post(path, json=body, headers=lead.headers)
        assert answer.status_code == 422, (path, answer.get_json())
        assert answer.get_json()["field"] == field
    with rt.store.session() as db:
        assert db.scalars(select(Freeze)).all() == []
