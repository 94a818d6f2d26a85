"""While a takedown holds an account frozen, scheduled posts stay off it and only a crisis
statement goes out (invariant 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postgate.store.models import Post
from tests.helpers import approve_post, wait_until
from tests.workers.takedown.support import connect, live_texts, start, user_id


def test_scheduled_post_of_frozen_account_does_not_publish(rt, client, actors, scene, workers):
    from postgate import queue

    lead = actors.person("sam", "security")
    alice_id = user_id(rt, "alice")
    with rt.store.transaction() as db:
        post = Post(
            account_id=scene["acme"],
            author_id=alice_id,
            text="Soldes d'été : -20 % sur toute la collection",
            content_hash="",
            status="scheduled",
            scheduled_at=datetime.now(UTC) + timedelta(seconds=2),
        )
        db.add(post)
        db.flush()
        post_id = post.id
    start(client, lead, scene["since"], accounts=["acme"])
    workers()
    queue.enqueue_publish(rt, post_id, 1, None)

    def settled() -> str | None:
        with rt.store.session() as db:
            status = db.get(Post, post_id).status
        return None if status in ("scheduled", "publishing") else status

    assert wait_until(settled, 20, "the post to leave the queue", step=0.2) == "blocked"
    assert "Soldes" not in " ".join(live_texts(scene["url"], "acme"))


def test_crisis_statement_publishes_on_a_frozen_account(rt, client, actors, platform, workers):
    connect(rt, platform, "acme")
    lead = actors.person("sam", "security")
    author = actors.person("alice", "author")
    reviewer = actors.person("bob", "reviewer")
    workers()
    body = {"account": "acme", "reason": "harmful post by an employee"}
    assert client.post("/api/v1/freeze", json=body, headers=lead.headers).status_code == 201
    statement = "Nous présentons nos excuses pour le message publié ce matin. Il a été retiré."
    ordinary = "Nouvelle collection disponible demain !"
    ids = []
    for text in (statement, ordinary):
        post = client.post(
            "/api/v1/posts", json={"account": "acme", "text": text}, headers=author.headers
        ).get_json()
        ids.append(post["id"])
    assert client.post(f"/api/v1/posts/{ids[0]}/crisis", json={}, headers=lead.headers).is_json
    approved = approve_post(client, reviewer, ids[0])
    assert approved.get_json()["status"] == "scheduled", approved.get_json()

    def where_the_statement_is() -> str:
        with rt.store.session() as db:
            post = db.get(Post, ids[0])
            return f"the statement to go live: {post.status} {post.status_reason}"

    def statement_status() -> str:
        with rt.store.session() as db:
            return db.get(Post, ids[0]).status

    wait_until(
        lambda: statement in live_texts(platform, "acme"), 20, where_the_statement_is, step=0.2
    )
    # The worker records the outcome once the platform has answered: a moment after it shows.
    wait_until(lambda: statement_status() == "published", 10, where_the_statement_is, step=0.1)
    assert ordinary not in live_texts(platform, "acme")
    with rt.store.session() as db:
        assert db.get(Post, ids[1]).status == "blocked"
