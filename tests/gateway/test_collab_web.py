"""Working together on the pages: drafts, per-network texts, comments, who rejected and why,
and the previews on the compose, edit, post and review pages."""

from __future__ import annotations

import re

import pytest

from postgate.store.models import Post
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


@pytest.fixture
def team(actors, web):
    make_account(actors.rt, "acme")
    make_account(actors.rt, "birdy", platform="x")
    author = actors.create("alice", "author")
    reviewer = actors.create("bob", "reviewer")
    web.login(author)
    other = web.another()
    other.login(reviewer)
    return web, other


def stored(rt, post_id: int) -> Post:
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post is not None
        db.expunge(post)
        return post


def newest(rt) -> list[tuple[int, str, str, str]]:
    with rt.store.session() as db:
        return [
            (p.id, p.account.name, p.text, p.status) for p in db.query(Post).order_by(Post.id).all()
        ]


def test_draft_saved_then_submitted_from_its_page(team, rt, client):
    author, reviewer = team
    answer = author.submit(
        "/compose", page="/compose", accounts="acme", text="Brouillon du lundi", draft="1"
    )
    assert answer.status_code == 302
    [(post_id, _, _, status)] = newest(rt)
    assert status == "draft"
    page = author.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Draft" in page and f"/posts/{post_id}/submit" in page
    mine = author.client.get("/posts?status=draft").get_data(as_text=True)
    assert f"/posts/{post_id}" in mine
    assert reviewer.client.get(f"/posts/{post_id}").status_code == 404
    assert f"/review/{post_id}" not in reviewer.client.get("/review").get_data(as_text=True)

    sent = author.submit(f"/posts/{post_id}/submit", page=f"/posts/{post_id}")
    assert sent.status_code == 302
    assert stored(rt, post_id).status == "pending_review"
    assert f"/review/{post_id}" in reviewer.client.get("/review").get_data(as_text=True)


def test_editing_a_draft_keeps_it_a_draft_until_sent(team, rt):
    author, _ = team
    author.submit("/compose", page="/compose", accounts="acme", text="v1", draft="1")
    [(post_id, *_)] = newest(rt)
    edit = author.client.get(f"/posts/{post_id}/edit").get_data(as_text=True)
    assert 'data-check-url="/compose/check"' in edit and 'id="live-preview"' in edit
    author.submit(f"/posts/{post_id}/edit", text="v2", draft="1")
    assert stored(rt, post_id).status == "draft" and stored(rt, post_id).text == "v2"
    author.submit(f"/posts/{post_id}/edit", text="v3")
    assert stored(rt, post_id).status == "pending_review"


def test_compose_with_a_text_per_network(team, rt):
    author, _ = team
    long_text = "Une longue annonce pour Mastodon, avec tous les détails utiles. " * 6
    answer = author.submit(
        "/compose",
        {"accounts": ["acme", "birdy"]},
        page="/compose",
        text=long_text,
        **{"variant-birdy": "Version courte pour X"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    made = {name: (text, status) for _, name, text, status in newest(rt)}
    assert made == {
        "acme": (long_text, "pending_review"),
        "birdy": ("Version courte pour X", "pending_review"),
    }


def test_live_check_and_preview_use_each_accounts_text(team):
    author, _ = team
    body = {
        "accounts": ["acme", "birdy"],
        "text": "Bonjour @marie@exemple.social https://exemple.fr " + "y" * 300,
        "variants": {"birdy": "Court"},
    }
    checked = author.submit("/compose/check", page="/compose", json=body).get_json()
    by_account = {r["account"]: r for r in checked["results"]}
    assert by_account["birdy"]["text"] == "Court" and not by_account["birdy"]["blocked"]
    body["variants"] = {}
    html = author.submit("/compose/preview", page="/compose", json=body).get_data(as_text=True)
    assert html.count('class="platform-preview') == 2
    assert 'data-account="birdy"' in html and '<del class="cut"' in html
    assert '<span class="mention">@marie@exemple.social</span>' in html
    assert '<span class="link-domain">exemple.fr</span>' in html
    hostile = dict(body, text="<script>alert(1)</script>")
    escaped = author.submit("/compose/preview", page="/compose", json=hostile)
    assert "<script>" not in escaped.get_data(as_text=True)


def test_comments_and_rejection_on_the_post_and_review_pages(team, rt):
    author, reviewer = team
    author.submit("/compose", page="/compose", accounts="acme", text="Promo sur les pulls")
    [(post_id, *_)] = newest(rt)
    review_page = reviewer.client.get(f"/review/{post_id}").get_data(as_text=True)
    assert 'class="card previews"' in review_page and 'id="comment-form"' in review_page
    hash_before = stored(rt, post_id).content_hash
    asked = reviewer.submit(
        f"/posts/{post_id}/comments", page=f"/review/{post_id}", body="Quel prix ?", back="review"
    )
    assert asked.status_code == 302 and asked.location.endswith(f"/review/{post_id}#comments")
    author.submit(f"/posts/{post_id}/comments", page=f"/posts/{post_id}", body="29 €")
    assert stored(rt, post_id).content_hash == hash_before
    reviewer.submit(f"/review/{post_id}/reject", page=f"/review/{post_id}", reason="Le prix manque")
    page = author.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Rejected by bob" in page and "Le prix manque" in page
    assert re.search(r"Quel prix \?.*29 €", page, re.S)
    empty = author.submit(f"/posts/{post_id}/comments", page=f"/posts/{post_id}", body=" ")
    assert empty.status_code == 302


def test_comments_in_french(team, rt):
    author, _ = team
    author.client.set_cookie("postgate_lang", "fr")
    author.submit("/compose", page="/compose", accounts="acme", text="Bonjour", draft="1")
    [(post_id, *_)] = newest(rt)
    page = author.client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "Brouillon" in page and "Commentaires" in page and "Aperçu" in page
