"""An approval binds to what the reviewer saw (DESIGN.md invariant 1).

The attack: an author edits the post while the reviewer reads it, hoping the reviewer's
approval lands on the new text. Before approvals named a content hash, both the web form and
the API approved whatever the post held when the request ran, and the new text went out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postgate.store.models import Approval, Post
from tests.helpers import approve_post, make_account, shown_hash

HARMLESS = "Nos prix baissent lundi"
SWAPPED = "Nos prix baissent mardi, tout à 1 €"


def _post(rt, post_id: int) -> Post:
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        db.expunge(post)
        return post


def _approvals(rt, post_id: int) -> int:
    with rt.store.session() as db:
        return db.query(Approval).filter(Approval.post_id == post_id).count()


def _submitted(client, actors, rt, text: str = HARMLESS) -> tuple:
    make_account(rt, "acme")
    author, reviewer = actors.person("ana", "author"), actors.person("rex", "reviewer")
    when = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    made = client.post(
        "/api/v1/posts",
        json={"account": "acme", "text": text, "scheduled_at": when},
        headers=author.headers,
    )
    assert made.status_code == 201, made.get_json()
    return author, reviewer, made.get_json()


def test_api_approval_of_a_version_edited_since_is_refused(client, actors, rt) -> None:
    author, reviewer, post = _submitted(client, actors, rt)
    read = client.get(f"/api/v1/posts/{post['id']}", headers=reviewer.headers).get_json()
    edited = client.patch(
        f"/api/v1/posts/{post['id']}", json={"text": SWAPPED}, headers=author.headers
    )
    assert edited.status_code == 200 and edited.get_json()["status"] == "pending_review"
    refused = approve_post(client, reviewer, post["id"], content_hash=read["content_hash"])
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["error"] == "conflict"
    assert refused.get_json()["field"] == "content_hash"
    after = _post(rt, post["id"])
    assert after.status == "pending_review" and after.text == SWAPPED
    assert _approvals(rt, post["id"]) == 0  # nothing approved, so nothing can publish
    fresh = approve_post(client, reviewer, post["id"])  # after reading the new version
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "scheduled"


def test_a_new_time_alone_changes_the_hash_and_is_refused(client, actors, rt) -> None:
    author, reviewer, post = _submitted(client, actors, rt)
    sooner = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    moved = client.patch(
        f"/api/v1/posts/{post['id']}", json={"scheduled_at": sooner}, headers=author.headers
    )
    assert moved.status_code == 200
    refused = approve_post(client, reviewer, post["id"], content_hash=post["content_hash"])
    assert refused.status_code == 409 and refused.get_json()["field"] == "content_hash"
    assert _approvals(rt, post["id"]) == 0


def test_api_approval_must_name_the_content_hash(client, actors, rt) -> None:
    _author, reviewer, post = _submitted(client, actors, rt)
    url = f"/api/v1/posts/{post['id']}/approve"
    missing = client.post(url, json={}, headers=reviewer.headers)
    assert missing.status_code == 422
    assert missing.get_json()["field"] == "content_hash"
    forged = client.post(url, json={"content_hash": "0" * 64}, headers=reviewer.headers)
    assert forged.status_code == 409 and forged.get_json()["field"] == "content_hash"
    assert _post(rt, post["id"]).status == "pending_review" and _approvals(rt, post["id"]) == 0


def test_web_approval_after_an_edit_is_refused_and_shows_what_changed(
    client, web, actors, rt
) -> None:
    author, reviewer, post = _submitted(client, actors, rt)
    web.login(reviewer)
    opened = client.get(f"/review/{post['id']}").get_data(as_text=True)
    assert shown_hash(opened) == post["content_hash"]
    edited = client.patch(
        f"/api/v1/posts/{post['id']}", json={"text": SWAPPED}, headers=author.headers
    )
    assert edited.status_code == 200
    refused = web.approve(post["id"], content_hash=shown_hash(opened))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert 'id="changed-since"' in page and "changed while you were reading" in page
    changed = page.split('id="changed-since"')[1].split("</section>")[0]
    assert "<del>lundi</del><ins>mardi, tout à 1 €</ins>" in changed
    assert shown_hash(page) == edited.get_json()["content_hash"]  # the form now names it
    assert _post(rt, post["id"]).status == "pending_review" and _approvals(rt, post["id"]) == 0
    done = web.approve(post["id"])  # the reviewer read the new version and approves it
    assert done.status_code == 302 and _post(rt, post["id"]).status == "scheduled"


def test_the_refusal_reads_in_french(client, web, actors, rt) -> None:
    author, reviewer, post = _submitted(client, actors, rt)
    web.login(reviewer, lang="fr")
    opened = client.get(f"/review/{post['id']}").get_data(as_text=True)
    client.patch(f"/api/v1/posts/{post['id']}", json={"text": SWAPPED}, headers=author.headers)
    refused = web.approve(post["id"], content_hash=shown_hash(opened))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "a changé pendant que vous la lisiez" in page
    assert "la publication a changé depuis que vous l\u2019avez ouverte" in page
