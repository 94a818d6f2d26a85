"""The author's pages: compose with live checks, my posts, a post's history, edit, cancel."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from postgate.store.models import Freeze, Post
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


def test_compose_page_is_french_by_default_and_english_on_request(client, web, actors, rt) -> None:
    make_account(rt, "acme-fr", timezone="Europe/Paris")
    ana = actors.create("ana", "author")
    web.login(ana, lang="fr")
    client.delete_cookie("postgate_lang")
    page = client.get("/compose").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Nouvelle publication" in page and "acme-fr" in page
    english = client.get("/compose", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    chosen = web.submit("/language", page="/compose", lang="en", next="/posts")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/posts"
    assert "My posts" in client.get("/posts").get_data(as_text=True)


def test_compose_errors_sit_next_to_their_fields_and_keep_the_input(
    client, web, actors, rt
) -> None:
    make_account(rt, "acme")
    ana = actors.create("ana", "author")
    web.login(ana)
    empty = web.submit("/compose", text="", scheduled_at="2030-01-02T09:30")
    body = empty.get_data(as_text=True)
    assert empty.status_code == 422
    assert 'id="accounts-error"' in body and "Choose at least one account." in body
    assert 'id="text-error"' in body and 'value="2030-01-02T09:30"' in body
    past = web.submit(
        "/compose", accounts="acme", text="Bonjour à tous", scheduled_at="2001-01-01T09:00"
    )
    body = past.get_data(as_text=True)
    assert past.status_code == 422
    assert 'id="scheduled_at-error"' in body and "scheduled_at is in the past" in body
    assert "Bonjour à tous" in body and re.search(
        r'checked[^>]*value="acme"|value="acme"[^>]*checked', body
    )
    with rt.store.session() as db:
        assert db.query(Post).count() == 0


def test_compose_makes_one_post_per_account_on_the_viewers_clock(client, web, actors, rt) -> None:
    make_account(rt, "acme-fr", timezone="Europe/Paris")
    make_account(rt, "acme-ny", timezone="America/New_York")
    ana = actors.create("ana", "author")
    web.login(ana)
    web.submit("/me/timezone", page="/me", timezone="Europe/Paris")  # ana's clock, not theirs
    made = web.submit(
        "/compose",
        accounts=["acme-fr", "acme-ny"],
        text="Summer sale",
        scheduled_at="2030-06-01T09:00",
    )
    assert made.status_code == 302 and made.headers["Location"] == "/posts"
    with rt.store.session() as db:
        times = {p.account.name: p.scheduled_at for p in db.query(Post).all()}
    assert times["acme-fr"].astimezone(UTC) == datetime(2030, 6, 1, 7, 0, tzinfo=UTC)
    assert times["acme-ny"].astimezone(UTC) == datetime(2030, 6, 1, 7, 0, tzinfo=UTC)
    listing = client.get("/posts").get_data(as_text=True)
    assert listing.count("Summer sale") == 2 and "In review" in listing


def test_check_endpoint_gives_findings_and_counts_and_needs_csrf(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    ana = actors.create("ana", "author")
    web.login(ana)
    body = {"accounts": ["acme"], "text": "Quelle arnaque !", "scheduled_at": ""}
    answer = web.submit("/compose/check", page="/compose", json=body)
    assert answer.status_code == 200
    result = answer.get_json()["results"][0]
    assert result["blocked"] and result["limit"] == 500 and result["used"] == 16
    banned = next(f for f in result["findings"] if f["rule"] == "banned-terms")
    assert banned["span"] == [7, 14]
    assert client.post("/compose/check", json=body).status_code == 400  # no CSRF header


def test_pages_check_roles_and_ownership(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    ana, eve = actors.create("ana", "author"), actors.create("eve", "author")
    rex = actors.create("rex", "reviewer")
    web.login(ana)
    web.submit("/compose", accounts="acme", text="Ana's post")
    with rt.store.session() as db:
        post_id = db.query(Post).one().id
    web.logout()
    web.login(eve)
    assert client.get(f"/posts/{post_id}").status_code == 404
    assert "Ana's post" not in client.get("/posts").get_data(as_text=True)
    assert web.submit(f"/posts/{post_id}/cancel", page="/posts").status_code == 404
    web.logout()
    web.login(rex)
    assert client.get("/compose").status_code == 403
    assert client.get("/posts").status_code == 403
    assert client.get(f"/posts/{post_id}").status_code == 200  # reviewers see every post
    web.logout()
    assert client.get("/compose").status_code == 302  # signed out: to the login page


def test_edit_says_approvals_are_voided_and_keeps_input_on_error(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    ana = actors.create("ana", "author")
    web.login(ana)
    web.submit("/compose", accounts="acme", text="First words")
    with rt.store.session() as db:
        post_id = db.query(Post).one().id
    page = client.get(f"/posts/{post_id}/edit").get_data(as_text=True)
    assert "earlier approvals no longer count" in page and "First words" in page
    bad = web.submit(f"/posts/{post_id}/edit", text="Second words", scheduled_at="2001-01-01T00:00")
    assert bad.status_code == 422 and "Second words" in bad.get_data(as_text=True)
    good = web.submit(f"/posts/{post_id}/edit", text="Second")
    assert good.status_code == 302
    detail = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Revision 2" in detail and "First words" in detail  # history keeps revision 1
    cancelled = web.submit(f"/posts/{post_id}/cancel", page=f"/posts/{post_id}")
    assert cancelled.status_code == 302
    assert "Cancelled" in client.get(f"/posts/{post_id}").get_data(as_text=True)


def test_calendar_shows_posts_freezes_and_blackout_dates(client, web, actors, rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    ana = actors.create("ana", "author")
    web.login(ana)
    web.submit("/me/timezone", page="/me", timezone="Europe/Paris")  # typed on ana's clock
    web.submit("/compose", accounts="acme", text="Noël chez Acme", scheduled_at="2030-12-24T10:00")
    with rt.store.transaction() as db:
        db.add(Freeze(account_id=None, reason="drill"))
    page = client.get("/calendar?account=acme&view=month&start=2030-12-01")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Noël chez Acme" in body and "10:00" in body
    week = client.get("/calendar?account=acme&start=2030-12-24").get_data(as_text=True)
    assert "Noël chez Acme" in week and "Europe/Paris" in week
    today = client.get("/calendar?account=acme").get_data(as_text=True)
    assert "tag-freeze" in today
    org_blackout = client.get("/calendar?account=acme&start=2026-05-01").get_data(as_text=True)
    assert "Blackout date" in org_blackout.split('id="team-calendar"', 1)[1]
