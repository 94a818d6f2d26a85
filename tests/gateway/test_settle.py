"""Settling a post whose outcome is unknown: API, post page and console banner (invariant 5).

The post is put in the state the worker leaves it in when the platform's answer was lost and
the account cannot be read back: ``publishing``, its claim kept, its reason saying so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from postgate.services.publishing import UNRESOLVED_NOTE
from postgate.store.models import AuditEntry, Post
from tests.helpers import make_account

HEARD = "attempt 1: sandbox answered 200 to the publish without a status id"
UNREADABLE = "sandbox answered 200 to the listing with a body that is not JSON"


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    return {
        "author": actors.person("alice", "author"),
        "reviewer": actors.person("bob", "reviewer"),
        "lead": actors.person("sam", "security"),
        "admin": actors.person("ada", "admin"),
    }


def stuck_post(
    rt, client, author, *, unknown: bool = True, unresolved: str = UNREADABLE, reason=HEARD
) -> int:
    body = {"account": "acme", "text": "Une annonce dont on ne sait pas si elle est partie."}
    post_id = client.post("/api/v1/posts", json=body, headers=author.headers).get_json()["id"]
    with rt.store.transaction() as db:
        db.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(
                status="publishing",
                claim_token="lost-answer",
                claimed_at=datetime.now(UTC) - timedelta(minutes=5),
                attempts=1,
                reason=reason,
                outcome_unknown=unknown,
                unresolved_reason=unresolved,
            )
        )
    return post_id


def settle(client, person, post_id, **body):
    return client.post(f"/api/v1/posts/{post_id}/settle", json=body, headers=person.headers)


def audit_details(rt, post_id):
    with rt.store.session() as db:
        entry = db.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "post:settle", AuditEntry.target == f"post:{post_id}"
            )
        )
        return entry and (entry.actor, entry.details)


def test_reviewer_settles_a_post_found_on_the_platform(rt, client, people):
    post_id = stuck_post(rt, client, people["author"])
    url = f"{rt.settings.sandbox_url}/@acme/113523456789"
    answer = settle(client, people["reviewer"], post_id, live_url=url)
    assert answer.status_code == 200, answer.get_json()
    post = answer.get_json()
    assert post["status"] == "published" and post["remote_url"] == url
    assert post["remote_id"] == "113523456789" and post["published_at"]
    actor, details = audit_details(rt, post_id)
    assert actor == "bob" and details["outcome"] == "published" and details["live_url"] == url
    assert UNRESOLVED_NOTE in details["reason_before"]
    again = settle(client, people["reviewer"], post_id, not_published=True)
    assert again.status_code == 409 and again.get_json()["field"] == "status"


def test_security_lead_settles_a_post_that_is_not_there(rt, client, people):
    post_id = stuck_post(rt, client, people["author"], unresolved="")  # read-back pending
    answer = settle(client, people["lead"], post_id, not_published=True)
    assert answer.status_code == 200, answer.get_json()
    post = answer.get_json()
    assert post["status"] == "failed" and post["status_reason"] == "not published, settled by sam"
    assert post["remote_id"] is None
    with rt.store.session() as db:
        assert db.get(Post, post_id).claim_token is None
    assert audit_details(rt, post_id)[1]["outcome"] == "failed"


def test_only_reviewers_and_security_may_settle(rt, client, people):
    post_id = stuck_post(rt, client, people["author"])
    for who in ("author", "admin"):
        answer = settle(client, people[who], post_id, not_published=True)
        assert answer.status_code in (403, 404), (who, answer.get_json())
    assert settle(client, people["reviewer"], post_id, not_published=True).status_code == 200


def test_a_post_whose_outcome_is_known_is_409(rt, client, people):
    body = {"account": "acme", "text": "Encore en relecture."}
    post_id = client.post("/api/v1/posts", json=body, headers=people["author"].headers).get_json()
    answer = settle(client, people["reviewer"], post_id["id"], not_published=True)
    assert answer.status_code == 409
    assert answer.get_json()["message"] == (
        "only a post whose outcome is unknown can be settled; this one is pending_review"
    )
    live = stuck_post(rt, client, people["author"], unknown=False, unresolved="")  # a live claim
    assert settle(client, people["reviewer"], live, not_published=True).status_code == 409


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "give either live_url or not_published: true"),
        ({"live_url": "https://127.0.0.1/x", "not_published": True}, "give either"),
        ({"not_published": False}, "give either"),
        ({"live_url": "javascript:alert(1)"}, "live_url must be the post's http(s) address"),
        ({"live_url": "https://evil.example/@acme/1"}, "live_url must be on the account's server"),
        ({"live_url": "https://127.0.0.1/" + "x" * 600}, "live_url"),
        ({"not_published": "yes"}, "not_published"),
    ],
)
def test_bad_settlements_are_refused_and_change_nothing(rt, client, people, body, message):
    post_id = stuck_post(rt, client, people["author"])
    answer = settle(client, people["reviewer"], post_id, **body)
    assert answer.status_code in (400, 422), answer.get_json()
    assert message in answer.get_json()["message"] or answer.get_json()["field"] == message
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.status == "publishing" and post.claim_token == "lost-answer"
    assert audit_details(rt, post_id) is None


def test_settling_needs_a_fresh_code(rt, actors):
    from gateway import create_app

    make_account(rt, "acme")
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    client = app.test_client()
    author = actors.person("alice", "author")
    reviewer = actors.create("bob", "reviewer")
    reviewer.token = client.post(
        "/api/v1/session",
        json={"username": "bob", "password": reviewer.password, "otp": reviewer.code()},
    ).get_json()["token"]
    post_id = stuck_post(rt, client, author)
    answer = settle(client, reviewer, post_id, not_published=True)
    assert answer.status_code == 401 and answer.get_json()["error"] == "otp_required"
    assert (
        settle(client, reviewer, post_id, not_published=True, otp=reviewer.code()).status_code
        == 200
    )


def test_console_lists_the_post_and_its_page_settles_it(rt, client, people, web):
    post_id = stuck_post(rt, client, people["author"])
    web.login(people["lead"])
    console = web.client.get("/security").get_data(as_text=True)
    assert "1 post waits for a person: its outcome is unknown" in console
    assert f"/posts/{post_id}#settle" in console
    page = web.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Outcome unknown: check the platform" in page
    url = f"{rt.settings.sandbox_url}/@acme/4242"
    done = web.submit(
        f"/posts/{post_id}/settle", page=f"/posts/{post_id}", live_url=url, outcome="published"
    )
    assert done.status_code == 302
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert (post.status, post.remote_url, post.remote_id) == ("published", url, "4242")
    assert "waits for a person" not in web.client.get("/security").get_data(as_text=True)
    assert "Outcome unknown" not in web.client.get(f"/posts/{post_id}").get_data(as_text=True)


def test_not_published_button_wins_over_a_typed_address(rt, client, people, web):
    post_id = stuck_post(rt, client, people["author"])
    web.login(people["reviewer"])
    url = f"{rt.settings.sandbox_url}/@acme/4242"
    web.submit(
        f"/posts/{post_id}/settle", page=f"/posts/{post_id}", live_url=url, outcome="not_published"
    )
    with rt.store.session() as db:
        assert db.get(Post, post_id).status == "failed"
