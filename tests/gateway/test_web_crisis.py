"""Marking a crisis statement from the post page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postgate.services import posts
from postgate.store.models import Freeze, Post, User
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


def submitted_post(rt, actors) -> int:
    account_id = make_account(rt, "acme")
    author = actors.create("alice", "author")
    with rt.store.transaction() as db:
        user = db.query(User).filter_by(username=author.username).one()
        when = datetime.now(UTC) + timedelta(hours=1)
        post = posts.submit(
            rt, db, user, "acme", "Nous sommes désolés : notre compte a été piraté.", when
        )
        post_id = post.id
    return post_id, account_id


def freeze(rt, account_id: int) -> None:
    with rt.store.transaction() as db:
        db.add(Freeze(account_id=account_id, reason="hacked"))


def test_security_lead_marks_a_post_during_a_freeze(client, web, rt, actors):
    post_id, account_id = submitted_post(rt, actors)
    freeze(rt, account_id)
    web.login(actors.create("sam", "security"))
    page = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Mark as crisis statement" in page
    response = web.submit(f"/posts/{post_id}/crisis", page=f"/posts/{post_id}")
    assert response.status_code == 302
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.crisis_statement and post.status == "pending_review"


def test_no_button_and_no_marking_without_a_freeze(client, web, rt, actors):
    post_id, _ = submitted_post(rt, actors)
    web.login(actors.create("sam", "security"))
    assert "Mark as crisis statement" not in client.get(f"/posts/{post_id}").get_data(as_text=True)
    web.submit(f"/posts/{post_id}/crisis", page=f"/posts/{post_id}")
    with rt.store.session() as db:
        assert not db.get(Post, post_id).crisis_statement


def test_reviewers_cannot_mark_and_csrf_is_required(client, web, rt, actors):
    post_id, account_id = submitted_post(rt, actors)
    freeze(rt, account_id)
    web.login(actors.create("rita", "reviewer"))
    assert "Mark as crisis statement" not in client.get(f"/posts/{post_id}").get_data(as_text=True)
    refused = web.submit(f"/posts/{post_id}/crisis", page=f"/posts/{post_id}")
    assert refused.status_code == 403
    lead = web.another()
    lead.login(actors.create("sam", "security"))
    assert lead.client.post(f"/posts/{post_id}/crisis", data={}).status_code == 400
    with rt.store.session() as db:
        assert not db.get(Post, post_id).crisis_statement
