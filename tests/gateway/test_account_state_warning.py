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
