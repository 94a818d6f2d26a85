"""The author is told when a reviewer approves their late post for a new time: the time is
part of what was approved, so the author learns what will go out, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.gateway.test_late_approval import backdate, submitted
from tests.helpers import approve_post, make_account


def test_the_author_learns_the_new_time_in_their_language(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    backdate(rt, post["id"])
    later = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3)
    answer = approve_post(client, reviewer, post["id"], scheduled_at=later.isoformat())
    assert answer.status_code == 200, answer.get_json()

    mine = client.get("/api/v1/notifications", headers=author.headers).get_json()
    moved = [n for n in mine["notifications"] if "reprogrammée" in n["title"]]
    assert len(moved) == 1, mine
    assert moved[0]["title"] == f"Publication n°\u00a0{post['id']} reprogrammée"
    assert "bob" in moved[0]["body"] and later.strftime("%Y-%m-%d %H:%M") in moved[0]["body"]
    assert moved[0]["link"] == f"/posts/{post['id']}"

    client.patch("/api/v1/me/notifications", json={"language": "en"}, headers=author.headers)
    mine = client.get("/api/v1/notifications", headers=author.headers).get_json()
    assert any(
        n["title"] == f"Post #{post['id']} moved to a new time" for n in mine["notifications"]
    )


def test_publishing_now_moves_nothing_and_says_nothing_of_a_new_time(rt, client, actors):
    make_account(rt, "acme")
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    post = submitted(client, author)
    backdate(rt, post["id"])
    assert approve_post(client, reviewer, post["id"], publish_now=True).status_code == 200
    mine = client.get("/api/v1/notifications", headers=author.headers).get_json()
    assert not [n for n in mine["notifications"] if "reprogrammée" in n["title"]]
