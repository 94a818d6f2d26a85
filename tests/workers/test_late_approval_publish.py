"""A post approved after its time goes out as the reviewer chose, and the worker's own hash
check (invariant 1) agrees: at once with ``publish_now``, at the reviewer's new time with a
new ``scheduled_at``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postgate.content import content_hash
from postgate.store.models import Post
from postgate.timeparse import parse_aware
from tests.helpers import approve_post


def _waiting_past_its_time(poster, text: str) -> int:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"account": "acme", "text": text, "scheduled_at": soon}
    made = poster.client.post("/api/v1/posts", json=body, headers=poster.people["author"].headers)
    assert made.status_code == 201, made.get_json()
    post_id = made.get_json()["id"]
    with poster.rt.store.transaction() as db:  # it waited in review past its time
        post = db.get(Post, post_id)
        post.scheduled_at = datetime.now(UTC) - timedelta(minutes=10)
        post.content_hash = content_hash(
            post.account.name, post.text, post.scheduled_at, post.media or [], post.links
        )
    return post_id


def test_publish_now_and_a_new_time_both_go_out_as_approved(workers, poster):
    workers.start()
    reviewer = poster.people["reviewer"]
    now_id = _waiting_past_its_time(poster, "Ouverture exceptionnelle ce dimanche.")
    later_id = _waiting_past_its_time(poster, "Nocturne jeudi jusqu'à 22 h.")
    refused = approve_post(poster.client, reviewer, now_id)
    assert refused.status_code == 409 and refused.get_json()["error"] == "schedule_passed"

    assert approve_post(poster.client, reviewer, now_id, publish_now=True).status_code == 200
    new_time = datetime.now(UTC) + timedelta(seconds=3)
    moved = approve_post(poster.client, reviewer, later_id, scheduled_at=new_time.isoformat())
    assert moved.status_code == 200 and moved.get_json()["status"] == "scheduled"

    assert poster.wait_status(now_id, "published", timeout=10).remote_id
    later = poster.wait_status(later_id, "published", timeout=15)
    live = poster.live("Nocturne jeudi jusqu'à 22 h.")
    assert len(live) == 1 and later.remote_id == live[0]["id"]
    assert parse_aware(live[0]["created_at"], "created_at") >= new_time - timedelta(seconds=1)
