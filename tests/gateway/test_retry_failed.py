"""A reviewer retries a failed post without rewriting it; its approvals must still count."""

from __future__ import annotations

import pytest
from rq.job import Job
from sqlalchemy import select, update

from postgate import queue
from postgate.store.models import Account, AuditEntry, Post
from tests.helpers import make_account

FAILURE = "mastodon: HTTP 503: 502 Bad Gateway nginx"


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    return {
        "author": actors.person("alice", "author"),
        "reviewer": actors.person("bob", "reviewer"),
        "lead": actors.person("sam", "security"),
    }


def failed_post(rt, client, people) -> int:
    body = {"account": "acme", "text": "Une annonce que la plateforme a refusée."}
    post_id = client.post("/api/v1/posts", json=body, headers=people["author"].headers).json["id"]
    approved = client.post(
        f"/api/v1/posts/{post_id}/approve", json={}, headers=people["reviewer"].headers
    )
    assert approved.json["status"] == "scheduled", approved.json
    queue.cancel_publish(rt, post_id, 1)
    with rt.store.transaction() as db:
        db.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(status="failed", reason=FAILURE, attempts=3)
        )
    return post_id


def retry(client, person, post_id, **body):
    return client.post(f"/api/v1/posts/{post_id}/retry", json=body, headers=person.headers)


def test_a_reviewer_puts_a_failed_post_back_on_the_schedule(rt, client, people):
    post_id = failed_post(rt, client, people)
    answer = retry(client, people["reviewer"], post_id)
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "scheduled" and answer.json["status_reason"] == ""
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert (post.attempts, post.revision) == (0, 1)
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post:retry"))
        assert entry.actor == "bob" and entry.details["failure"] == FAILURE
    job = Job.fetch(queue.publish_job_id(post_id, 1), connection=rt.redis)
    assert job.get_status() in ("queued", "scheduled")
    assert retry(client, people["reviewer"], post_id).status_code == 409  # not failed now


def test_only_reviewers_retry_and_only_failed_posts(rt, client, people):
    post_id = failed_post(rt, client, people)
    for who in ("author", "lead"):
        assert retry(client, people[who], post_id).status_code == 403
    body = {"account": "acme", "text": "En relecture."}
    other = client.post("/api/v1/posts", json=body, headers=people["author"].headers).json["id"]
    refused = retry(client, people["reviewer"], other)
    assert refused.status_code == 409
    assert (
        refused.json["message"] == "only a failed post can be retried; this one is pending_review"
    )


def test_a_post_whose_approvals_no_longer_count_is_not_retried(rt, client, people):
    post_id = failed_post(rt, client, people)
    with rt.store.transaction() as db:
        db.execute(update(Account).values(approvals_required=2))
    refused = retry(client, people["reviewer"], post_id)
    assert refused.status_code == 409 and refused.json["field"] == "approvals"
    with rt.store.session() as db:
        assert db.get(Post, post_id).status == "failed"


def test_retrying_needs_a_fresh_code(rt, actors):
    from gateway import create_app

    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    client = app.test_client()
    make_account(rt, "acme")
    people = {
        "author": actors.person("alice", "author"),
        "reviewer": actors.create("bob", "reviewer"),
    }
    people["reviewer"].token = client.post(
        "/api/v1/session",
        json={
            "username": "bob",
            "password": people["reviewer"].password,
            "otp": people["reviewer"].code(),
        },
    ).json["token"]
    body = {"account": "acme", "text": "Une annonce que la plateforme a refusée."}
    post_id = client.post("/api/v1/posts", json=body, headers=people["author"].headers).json["id"]
    approved = client.post(
        f"/api/v1/posts/{post_id}/approve",
        json={"otp": people["reviewer"].code()},
        headers=people["reviewer"].headers,
    )
    assert approved.json["status"] == "scheduled", approved.json
    with rt.store.transaction() as db:
        db.execute(update(Post).where(Post.id == post_id).values(status="failed", reason=FAILURE))
    refused = retry(client, people["reviewer"], post_id)
    assert refused.status_code == 401 and refused.json["error"] == "otp_required"
    assert (
        retry(client, people["reviewer"], post_id, otp=people["reviewer"].code()).status_code == 200
    )


def test_the_post_page_offers_the_retry_to_a_reviewer(rt, client, people, web):
    post_id = failed_post(rt, client, people)
    web.login(people["reviewer"])
    assert "Retry the post as approved" in web.client.get(f"/posts/{post_id}").get_data(
        as_text=True
    )
    done = web.submit(f"/posts/{post_id}/retry", page=f"/posts/{post_id}")
    assert done.status_code == 302
    with rt.store.session() as db:
        assert db.get(Post, post_id).status == "scheduled"
    page = web.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Retry the post as approved" not in page
