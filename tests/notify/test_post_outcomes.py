"""What becomes of a post reaches its author from the real publishing path: published with
its link on the (sandbox) platform, or blocked at publish time by a freeze, and why."""

from __future__ import annotations

from tests.helpers import approve_post, make_account, sandbox_credentials
from tests.notify.conftest import drain, set_prefs
from tests.notify.receivers import SmtpReceiver


def test_the_author_hears_published_with_the_link_and_blocked_with_why(
    rt, client, actors, smtp: SmtpReceiver, sandbox_url: str
):
    from postgate.services import freezes
    from postgate.services.users import find_user

    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    alice = actors.person("alice", "author")
    bob = actors.person("bob", "reviewer")
    actors.create("sec", "security")
    set_prefs(rt, "alice", email="alice@example.org", language="en")

    def approved(text: str) -> int:
        made = client.post(
            "/api/v1/posts", json={"account": "acme", "text": text}, headers=alice.headers
        )
        post_id = made.get_json()["id"]
        assert approve_post(client, bob, post_id).get_json()["status"] == "scheduled"
        return post_id

    live = approved("Spring is here")
    drain(rt, "postgate-publish")
    blocked = approved("Summer is coming")
    with rt.store.transaction() as db:
        freezes.set_freeze(rt, db, find_user(db, "sec"), "acme", "odd login")
    drain(rt, "postgate-publish")
    drain(rt)

    mails = {m["Subject"]: text for m, text in zip(smtp.messages, smtp.texts(), strict=True)}
    published = mails[f"Post #{live} published"]
    assert f"{sandbox_url}/@acme/" in published, published
    assert f"Post #{blocked} blocked at publish time" in mails
    assert "frozen" in mails[f"Post #{blocked} blocked at publish time"]
    assert f"Post #{live} approved" in mails and "bob approved" in mails[f"Post #{live} approved"]
