"""Approving a post whose scheduled time has passed asks the reviewer what to do: publish it
now, or give a new time, which is a new version the approval is then of (invariant 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from postgate.content import content_hash
from postgate.store.models import Approval, AuditEntry, Post, PostRevision, User
from tests.helpers import approve_post, make_account


def submitted(client, author, **extra) -> dict:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"account": "acme", "text": "Nouvelle collection dès lundi.", "scheduled_at": soon}
    response = client.post("/api/v1/posts", json={**body, **extra}, headers=author.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def backdate(rt, post_id: int, minutes: int = 30) -> str:
    """Move the post's time into the past, as if it had waited in review that long; the
    stored hash follows, as if the author had chosen that time (the worker checks it)."""
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        post.scheduled_at = datetime.now(UTC) - timedelta(minutes=minutes)
        post.content_hash = content_hash(
            post.account.name, post.text, post.scheduled_at, post.media or [], post.links
        )
        return post.content_hash


def test_a_passed_time_is_refused_with_the_choices(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    backdate(rt, post["id"])
    answer = approve_post(client, reviewer, post["id"])
    assert answer.status_code == 409
    body = answer.get_json()
    assert body["error"] == "schedule_passed" and body["field"] == "scheduled_at"
    assert body["choices"] == ["publish_now", "scheduled_at"]
    assert datetime.fromisoformat(body["scheduled_at"]) < datetime.now(UTC)
    with rt.store.session() as db:
        assert db.get(Post, post["id"]).status == "pending_review"
        assert db.scalars(select(Approval)).all() == []


def test_publish_now_approves_what_was_read_unchanged(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    seen = backdate(rt, post["id"])
    answer = approve_post(client, reviewer, post["id"], publish_now=True)
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    assert shown["status"] == "scheduled" and shown["content_hash"] == seen
    with rt.store.session() as db:
        assert db.scalar(select(Approval.content_hash)) == seen


def test_a_new_time_is_a_new_version_that_the_approval_is_of(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    old_hash = backdate(rt, post["id"])
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    answer = approve_post(client, reviewer, post["id"], scheduled_at=later.isoformat())
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    assert shown["status"] == "scheduled"
    assert datetime.fromisoformat(shown["scheduled_at"]) == later
    assert shown["content_hash"] != old_hash
    with rt.store.session() as db:
        approval = db.scalar(select(Approval))
        assert approval.content_hash == shown["content_hash"]
        revision = db.scalar(select(PostRevision).order_by(PostRevision.revision.desc()))
        bob = db.scalar(select(User).where(User.username == "bob"))
        assert revision.revision == 2 and revision.by_id == bob.id
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post:reschedule"))
        assert entry.actor == "bob" and entry.details["old_hash"] == old_hash


def test_bad_choices_are_named(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    backdate(rt, post["id"])
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    answer = approve_post(client, reviewer, post["id"], scheduled_at=past)
    assert answer.status_code == 422 and answer.get_json()["field"] == "scheduled_at"
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    both = approve_post(client, reviewer, post["id"], scheduled_at=later, publish_now=True)
    assert both.status_code == 422 and both.get_json()["field"] == "publish_now"
    naive = approve_post(client, reviewer, post["id"], scheduled_at="2030-01-01T09:00:00")
    assert naive.status_code == 422 and naive.get_json()["field"] == "scheduled_at"
    with rt.store.session() as db:
        stored = db.get(Post, post["id"])
        assert stored.revision == 1 and stored.status == "pending_review"


def test_a_new_time_the_rules_refuse_changes_nothing(rt, client, actors):
    make_account(rt, "acme", windows=["mon-sun 08:00-20:00"])
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    nine = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0)
    post = submitted(client, author, scheduled_at=nine.isoformat())
    seen = backdate(rt, post["id"])
    night = nine.replace(hour=23)
    answer = approve_post(client, reviewer, post["id"], scheduled_at=night.isoformat())
    assert answer.status_code == 422 and answer.get_json()["field"] == "scheduled_at"
    with rt.store.session() as db:
        stored = db.get(Post, post["id"])
        assert stored.content_hash == seen and stored.revision == 1
        assert db.scalars(select(Approval)).all() == []


def test_a_new_time_voids_the_other_reviewers_approvals(rt, client, actors):
    make_account(rt, "acme", approvals=2)
    author = actors.person("alice", "author")
    first, second = actors.person("bob", "reviewer"), actors.person("carol", "reviewer")
    post = submitted(client, author)
    assert approve_post(client, first, post["id"]).get_json()["status"] == "pending_review"
    seen = backdate(rt, post["id"])
    with rt.store.transaction() as db:  # bob approved it while its time was still ahead
        db.scalar(select(Approval)).content_hash = seen
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    answer = approve_post(client, second, post["id"], scheduled_at=later)
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    assert shown["status"] == "pending_review"  # bob approved another time: he must again
    assert [a["reviewer"] for a in shown["approvals"]] == ["carol"]


def test_a_time_still_ahead_approves_as_before(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    answer = approve_post(client, reviewer, post["id"])
    assert answer.status_code == 200 and answer.get_json()["status"] == "scheduled"


def test_the_api_sets_ones_zone_and_keeps_utc(rt, client, actors):
    rita = actors.person("rita", "reviewer")
    assert client.get("/api/v1/me/timezone", headers=rita.headers).get_json() == {
        "timezone": None,
        "shown_in": "UTC",
    }
    bad = client.put("/api/v1/me/timezone", json={"timezone": "Mars/Base"}, headers=rita.headers)
    assert bad.status_code == 422 and bad.get_json()["field"] == "timezone"
    good = client.put("/api/v1/me/timezone", json={"timezone": "Asia/Tokyo"}, headers=rita.headers)
    assert good.get_json() == {"timezone": "Asia/Tokyo", "shown_in": "Asia/Tokyo"}
    make_account(rt, "acme")
    author = actors.person("alice", "author")
    post = submitted(client, author, scheduled_at="2031-01-15T14:00:00+00:00")
    shown = client.get(f"/api/v1/posts/{post['id']}", headers=rita.headers).get_json()
    assert shown["scheduled_at"].startswith("2031-01-15T14:00:00")  # the API keeps UTC
