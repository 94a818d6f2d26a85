"""An author composing for an account that cannot publish (``disconnected``: the platform
refused or ended its credentials; ``compromised``) is told at once, by the compose page's
live check, after submitting, and in ``POST /posts``'s ``warnings``; the post is stored and
reviewed all the same, and waits at publish time until an administrator acts."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from postgate.store.models import Account
from tests.helpers import make_account


def _account_in(rt, status: str | None) -> None:
    make_account(rt, "acme", credentials={"access_token": "t"})
    if status is not None:
        with rt.store.transaction() as db:
            db.execute(update(Account).where(Account.name == "acme").values(status=status))


@pytest.mark.parametrize(
    ("status", "english", "french"),
    [
        ("disconnected", "acme is disconnected", "acme est déconnecté"),
        ("compromised", "acme is marked compromised", "acme est marqué compromis"),
    ],
)
def test_the_api_answer_warns_in_the_callers_language(client, actors, rt, status, english, french):
    ana = actors.person("ana", "author")
    _account_in(rt, status)
    answers = {
        language: client.post(
            "/api/v1/posts",
            json={"account": "acme", "text": f"Bonjour ({language})"},
            headers={**ana.headers, "Accept-Language": language},
        )
        for language in ("en", "fr")
    }
    for answer in answers.values():
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["status"] == "pending_review"
    [warning] = answers["en"].get_json()["warnings"]
    assert warning["rule"] == "account_state" and warning["params"] == {"account": "acme"}
    assert warning["message"].startswith(english)
    assert answers["fr"].get_json()["warnings"][0]["message"].startswith(french)


def test_an_account_that_may_publish_brings_no_warning(client, actors, rt):
    ana = actors.person("ana", "author")
    _account_in(rt, None)
    made = client.post("/api/v1/posts", json={"account": "acme", "text": "Hi"}, headers=ana.headers)
    assert made.status_code == 201 and made.get_json()["warnings"] == []


def test_compose_warns_in_the_live_check_and_after_submitting(client, web, actors, rt):
    author = actors.person("ana", "author")
    _account_in(rt, "disconnected")
    web.login(author, lang="fr")

    checked = web.submit(
        "/compose/check", page="/compose", json={"accounts": ["acme"], "text": "Hi"}
    )
    [result] = checked.get_json()["results"]
    assert result["account_warning"].startswith("acme est déconnecté")

    sent = web.submit("/compose", accounts="acme", text="Bonjour")
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-warning"' in page and "acme est déconnecté" in page


def _page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def test_the_reviewer_sees_it_in_the_queue_and_on_the_post_until_it_is_out(client, web, actors, rt):
    """A reviewer approving a post for a disconnected account should know it will wait:
    the queue marks the account, the review page and the post's page say it, in the
    reader's language; once the post is no longer ahead of publishing (cancelled), not."""
    ana = actors.person("ana", "author")
    _account_in(rt, "disconnected")
    post_id = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Bonjour"}, headers=ana.headers
    ).get_json()["id"]
    web.login(actors.create("rita", "reviewer"), lang="fr")

    queue = _page(client, "/review")
    assert f"/review/{post_id}" in queue and "déconnecté\u00a0: les publications attendent" in queue
    for path in (f"/review/{post_id}", f"/posts/{post_id}"):
        assert 'account-warning" role="status">acme est déconnecté' in _page(client, path), path

    cancelled = client.post(f"/api/v1/posts/{post_id}/cancel", headers=ana.headers)
    assert cancelled.status_code == 200, cancelled.get_json()
    assert "account-warning" not in _page(client, f"/posts/{post_id}")


def test_the_reviewer_sees_nothing_for_an_account_that_may_publish(client, web, actors, rt):
    ana = actors.person("ana", "author")
    _account_in(rt, None)
    post_id = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Bonjour"}, headers=ana.headers
    ).get_json()["id"]
    web.login(actors.create("rita", "reviewer"))
    assert "posts wait" not in _page(client, "/review")
    assert "account-warning" not in _page(client, f"/review/{post_id}")


def test_the_api_shows_the_post_with_its_warnings_until_it_is_out(client, actors, rt):
    """``GET /posts/{id}`` says it too (an API reviewer is about to approve a post that will
    wait), in the caller's language; once the post is cancelled, nothing."""
    ana = actors.person("ana", "author")
    rita = actors.person("rita", "reviewer")
    _account_in(rt, "compromised")
    post_id = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Bonjour"}, headers=ana.headers
    ).get_json()["id"]
    shown = client.get(
        f"/api/v1/posts/{post_id}", headers={**rita.headers, "Accept-Language": "fr"}
    ).get_json()
    [warning] = shown["warnings"]
    assert warning["rule"] == "account_state" and warning["params"] == {"account": "acme"}
    assert warning["message"].startswith("acme est marqué compromis")
    client.post(f"/api/v1/posts/{post_id}/cancel", headers=ana.headers)
    after = client.get(f"/api/v1/posts/{post_id}", headers=rita.headers).get_json()
    assert after["status"] == "cancelled" and after["warnings"] == []
