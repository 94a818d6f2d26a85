"""A stored reason reaches a French reader in French in an e-mail and on a webhook too, not
only on the page: the services write it in English (the record), the notification worker
translates it with the web app's catalogue (postgate/reason_words.py), and what a platform
said is quoted as the original. An English reader gets the stored English."""

from __future__ import annotations

import pytest

from tests.helpers import approve_post, make_account, sandbox_credentials
from tests.notify.conftest import drain, set_prefs
from tests.notify.receivers import SmtpReceiver

pytestmark = pytest.mark.platform_protocol

PLATFORM_SAID = "HTTP 503: upstream timed out"


def test_failed_and_blocked_posts_reach_each_author_in_their_language(
    rt, client, actors, smtp: SmtpReceiver, sandbox_url: str
):
    from postgate.audit import Event
    from postgate.services import freezes
    from postgate.services.users import find_user

    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    people = {
        "alice": actors.person("alice", "author"),
        "carol": actors.person("carol", "author"),
    }
    bob = actors.person("bob", "reviewer")
    actors.create("sec", "security")
    set_prefs(rt, "alice", email="alice@example.org", language="fr")
    set_prefs(rt, "carol", email="carol@example.org", language="en")

    def submitted(author: str, text: str) -> int:
        made = client.post(
            "/api/v1/posts", json={"account": "acme", "text": text}, headers=people[author].headers
        )
        assert made.status_code == 201, made.get_json()
        return int(made.get_json()["id"])

    def approved(author: str, text: str) -> int:
        post_id = submitted(author, text)
        assert approve_post(client, bob, post_id).get_json()["status"] == "scheduled"
        return post_id

    # Blocked at publish time by a freeze, through the real publishing path.
    blocked = {name: approved(name, f"Spring sale, by {name}") for name in people}
    failed = {name: submitted(name, f"Summer sale, by {name}") for name in people}
    with rt.store.transaction() as db:
        freezes.set_freeze(rt, db, find_user(db, "sec"), "acme", "odd login")
    drain(rt, "postgate-publish")
    # Given up on, as the publishing worker writes it: its words around the platform's.
    with rt.store.transaction() as db:
        for post_id in failed.values():
            rt.audit(
                db,
                Event.POST_FAIL,
                actor="worker",
                target=f"post:{post_id}",
                details={"reason": f"gave up after 3 attempts: {PLATFORM_SAID}"},
            )
    drain(rt)

    # (the subject's no-break spaces come back from the header as spaces)
    mails = {
        (m["To"], " ".join(m["Subject"].split())): text
        for m, text in zip(smtp.messages, smtp.texts(), strict=True)
    }
    french_blocked = mails[
        (
            "alice@example.org",
            f"Publication n° {blocked['alice']} bloquée au moment d\u2019être publiée",
        )
    ]
    assert "gel\u00a0: les publications sont suspendues pour ce compte" in french_blocked
    assert "frozen" not in french_blocked and "suspended" not in french_blocked
    french_failed = mails[("alice@example.org", f"Échec de la publication n° {failed['alice']}")]
    assert (
        "abandon après 3 tentatives\u00a0: la plateforme a refusé la publication "
        f"(original\u00a0: «\u00a0{PLATFORM_SAID}\u00a0»)"
    ) in french_failed, french_failed
    assert "gave up" not in french_failed

    english_blocked = mails[
        ("carol@example.org", f"Post #{blocked['carol']} blocked at publish time")
    ]
    assert "frozen: publishing is suspended for this account" in english_blocked
    english_failed = mails[("carol@example.org", f"Post #{failed['carol']} failed")]
    assert f"gave up after 3 attempts: {PLATFORM_SAID}" in english_failed
    assert "original" not in english_failed and "«" not in english_failed
