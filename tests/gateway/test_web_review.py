"""The reviewer's pages: queue, findings marked, diff, calendar, approve with 2FA, reject."""

from __future__ import annotations

import pytest

from postgate.store.models import Post
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


def _submitted(web, actors, rt, text: str = "Nos prix baissent", **account) -> tuple:
    make_account(rt, "acme", **account)
    ana = actors.create("ana", "author", "reviewer")
    rex = actors.create("rex", "reviewer")
    web.login(ana)
    web.submit("/compose", accounts="acme", text=text, scheduled_at="2030-03-04T10:00")
    with rt.store.session() as db:
        post_id = db.query(Post).one().id
    return ana, rex, post_id


def _status(rt, post_id: int) -> str:
    with rt.store.session() as db:
        return db.get(Post, post_id).status


def test_queue_lists_others_posts_and_the_page_marks_findings(client, web, actors, rt) -> None:
    _ana, rex, post_id = _submitted(web, actors, rt, text="Écrivez à jo@example.org demain")
    assert f"/review/{post_id}" not in client.get("/review").get_data(as_text=True)  # own post
    web.logout()
    web.login(rex)
    assert f"/review/{post_id}" in client.get("/review").get_data(as_text=True)
    page = client.get(f"/review/{post_id}").get_data(as_text=True)
    assert '<mark class="sev-flag"' in page and "jo@example.org<span" in page
    assert "contact-details" in page and 'name="acknowledge"' in page
    assert "First version" in page and "4 Mar" in page  # the account's days around the post


def test_author_sees_no_approve_button_and_a_forged_approval_is_refused(
    client, web, actors, rt
) -> None:
    ana, _rex, post_id = _submitted(web, actors, rt)
    page = client.get(f"/review/{post_id}").get_data(as_text=True)
    assert "another reviewer must approve it" in page
    assert f"/review/{post_id}/approve" not in page and ">Approve<" not in page
    forged = web.submit(f"/review/{post_id}/approve", page="/review", otp=ana.code())
    assert forged.status_code == 403
    assert _status(rt, post_id) == "pending_review"
    detail = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert f"/review/{post_id}" not in detail


def test_a_plain_author_cannot_open_review_pages(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    eve = actors.create("eve", "author")
    web.login(eve)
    assert client.get("/review").status_code == 403
    assert web.submit("/review/1/approve", page="/posts").status_code == 403


def test_approve_errors_sit_next_to_fields_then_approval_schedules(client, web, actors, rt) -> None:
    _ana, rex, post_id = _submitted(web, actors, rt, text="Écrivez à jo@example.org demain")
    web.logout()
    web.login(rex)
    wrong = web.approve(post_id, otp="000000", acknowledge="contact-details")
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 401 and 'id="otp-error"' in body
    assert (
        "the TOTP code is" in body and "checked" in body.split('value="contact-details"')[0][-80:]
    )
    unacknowledged = web.approve(post_id, otp=rex.code())
    body = unacknowledged.get_data(as_text=True)
    assert unacknowledged.status_code == 422 and 'id="acknowledge-error"' in body
    done = web.approve(post_id, acknowledge="contact-details")  # step-up still fresh
    assert done.status_code == 302 and done.headers["Location"] == "/review"
    assert _status(rt, post_id) == "scheduled"


def test_reject_needs_a_reason_and_edits_show_a_diff(client, web, actors, rt) -> None:
    ana, rex, post_id = _submitted(web, actors, rt, text="Nos prix baissent lundi")
    web.submit(f"/posts/{post_id}/edit", text="Nos prix baissent mardi")
    web.logout()
    web.login(rex, lang="fr")
    page = client.get(f"/review/{post_id}").get_data(as_text=True)
    assert "<del>lundi</del><ins>mardi</ins>" in page and "Relire la publication" in page
    page, reject = f"/review/{post_id}", f"/review/{post_id}/reject"
    empty = web.submit(reject, page=page, reason=" ")
    body = empty.get_data(as_text=True)
    assert empty.status_code == 422 and 'id="reason-error"' in body and "Indiquez un motif." in body
    done = web.submit(reject, page=page, reason="Pas ce mois-ci")
    assert done.status_code == 302 and _status(rt, post_id) == "rejected"
    web.logout()
    web.login(ana, lang="en")
    assert "Pas ce mois-ci" in client.get(f"/posts/{post_id}").get_data(as_text=True)
