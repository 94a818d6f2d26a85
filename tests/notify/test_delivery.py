"""Every kind of notification reaches a real SMTP server and a JSON webhook, once each, in
its reader's language, with nothing secret in it (invariant 12)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import approve_post, make_account
from tests.notify.conftest import drain, outbox, set_prefs
from tests.notify.receivers import SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.platform_protocol


@pytest.fixture
def team(rt, actors, hook: WebhookReceiver):
    from postgate.notifications.channels import add_channel
    from postgate.services.users import find_user

    make_account(rt, "acme")
    people = {
        "alice": actors.person("alice", "author"),
        "bob": actors.person("bob", "reviewer"),
        "sec": actors.person("sec", "security"),
        "ada": actors.person("ada", "admin"),
    }
    set_prefs(rt, "alice", email="alice@example.org", language="en")
    set_prefs(rt, "bob", email="bob@example.org", language="fr")
    set_prefs(rt, "sec", email="sec@example.org", language="fr")
    with rt.store.transaction() as db:
        for name in ("alice", "bob"):
            person = find_user(db, name)
            add_channel(rt, db, person, owner=person, name="my hook", url=hook.url(name))
    return people


def mails_to(smtp: SmtpReceiver, address: str) -> list[str]:
    return [t for m, t in zip(smtp.messages, smtp.texts(), strict=True) if address in m["To"]]


def submit(client, person, text: str, **extra) -> int:
    made = client.post(
        "/api/v1/posts", json={"account": "acme", "text": text, **extra}, headers=person.headers
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def security_events(rt) -> None:
    """What the security lead must hear about, written as the services write it."""
    from postgate import audit_payloads as payloads
    from postgate.audit import Event
    from postgate.services import freezes, refusals, revocation, users
    from postgate.services.users import find_user

    now = datetime.now(UTC)
    with rt.store.transaction() as db:
        users.set_roles(rt, db, "alice", ["author", "reviewer"], actor="ada")
        freezes.set_freeze(rt, db, find_user(db, "ada"), None, "suspicious login")
        revocation.revoke_user(rt, db, "bob", actor="ada")
        rt.audit(
            db,
            Event.SESSION_OTP_LOCKED,
            actor="alice",
            target="user:alice",
            details={"until": (now + timedelta(minutes=15)).isoformat(), "failures": 5},
        )
        rt.audit(
            db,
            Event.USER_RESET_TOTP,
            actor="ada",
            target="user:alice",
            details={"tokens_ended": 1},
        )
        rt.audit(
            db,
            Event.TAKEDOWN_START,
            actor="ada",
            target="takedown:7",
            details=payloads.takedown_start(["acme"], now - timedelta(hours=1), []),
        )
        rt.audit(
            db,
            Event.ACCOUNT_COMPROMISED,
            actor="worker",
            target="account:acme",
            details=payloads.account_compromised(7, 1, now, False, "revocation refused"),
        )
        rt.audit(
            db,
            Event.TAKEDOWN_DONE,
            actor="worker",
            target="takedown:7",
            details=payloads.takedown_done(["deleted", "failed"]),
        )
        rt.audit(
            db,
            Event.ACCOUNT_CREDENTIALS,
            actor="worker",
            target="account:acme",
            details={"status": "disconnected", "reason": "token revoked by the platform"},
            result="failed",
        )
        rt.audit(
            db,
            "watch.alert",
            actor="watch",
            target="account:acme",
            details={
                "account": "acme",
                "alert": 1,
                "kind": "unauthorized_post",
                "remote_id": "991",
                "url": "https://social.example/@acme/991",
                "text": "Free crypto for everyone!",
                "at": now.isoformat(),
                "via": "stream",
            },
        )
    with rt.store.transaction() as db:
        freezes_lift(rt, db)
    refusals.record_rate_limited(
        rt, limit="login-user-address", actor="sec", retry_after=60, source="203.0.113.9"
    )


def freezes_lift(rt, db) -> None:
    from postgate.services import unfreeze
    from postgate.services.users import find_user

    unfreeze.lift_freeze(rt, db, find_user(db, "ada"), None)


def post_events(rt, post_id: int) -> None:
    """What the publish worker writes about a post: published, blocked, failed, unknown."""
    from postgate.audit import Event

    with rt.store.transaction() as db:
        for action, details in (
            (Event.POST_PUBLISH, {"remote_id": "42", "url": "https://social.example/@acme/42"}),
            (Event.POST_BLOCK, {"reason": "the account is frozen", "at": "publish"}),
            (Event.POST_FAIL, {"reason": "the platform refused: too long", "attempts": 1}),
            (Event.POST_UNRESOLVED, {"reason": "the account cannot be read back"}),
        ):
            rt.audit(db, action, actor="worker", target=f"post:{post_id}", details=details)


def test_every_kind_reaches_mail_and_webhook_once_in_the_readers_language(
    rt, client, team, smtp: SmtpReceiver, hook: WebhookReceiver
):
    alice, bob = team["alice"], team["bob"]
    first = submit(client, alice, "Our spring collection is out")
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    second = submit(client, alice, "Meet us at the fair", scheduled_at=later)
    drain(rt)
    to_bob = mails_to(smtp, "bob@example.org")
    assert len(to_bob) == 1, "one batched message for both posts"
    assert "2 publications attendent votre relecture" in to_bob[0]
    assert f"/review/{first}" in to_bob[0] and f"/review/{second}" in to_bob[0]
    assert approve_post(client, bob, first).status_code == 200
    rejected = client.post(
        f"/api/v1/posts/{second}/reject", json={"reason": "wrong date"}, headers=bob.headers
    )
    assert rejected.status_code == 200
    post_events(rt, first)
    security_events(rt)
    drain(rt)

    to_alice = "\n".join(mails_to(smtp, "alice@example.org"))
    assert f"Post #{first} approved" in to_alice and "bob approved" in to_alice
    assert "rejected" in to_alice and "wrong date" in to_alice
    assert "https://social.example/@acme/42" in to_alice
    assert "blocked at publish time" in to_alice and "the account is frozen" in to_alice
    assert "too long" in to_alice
    assert "cannot tell whether" in to_alice
    alice_hook = [t.split("\n")[0] for t in hook.texts("alice")]
    assert alice_hook == [t.split("\n")[0] for t in mails_to(smtp, "alice@example.org")]

    to_bob = mails_to(smtp, "bob@example.org")
    assert len(to_bob) == 1, "the reminder waits until 60 minutes before the post's time"

    to_sec = "\n".join(mails_to(smtp, "sec@example.org"))
    for french in (
        "Rôles de alice modifiés",
        "Gel\u00a0: tous les comptes",
        "Gel levé",
        "Accès de bob révoqué",
        "Saisie de codes bloquée pour alice",
        "Double authentification modifiée pour alice",
        "Retrait n°\u00a07 lancé",
        "il reste quelque chose sur acme",
        "terminé, mais incomplet",
        "Compte acme déconnecté",
        "Alerte sur acme\u00a0: une publication que Postgate n\u2019a pas faite",
        "Free crypto for everyone!",
        "Échecs de connexion répétés",
    ):
        # a mail subject comes back with plain spaces (Apprise folds the header on them)
        assert french.replace("\u00a0", " ") in to_sec.replace("\u00a0", " "), french
    security_hook = "\n".join(hook.texts("security"))
    assert "Alerte sur acme" in security_hook and "Gel\u00a0: tous les comptes" in security_hook
    assert "relecture" not in security_hook, "the security channel hears security only"
    assert [t.split("\n")[0] for t in hook.texts("bob")] == [
        "2 publications attendent votre relecture"
    ]

    ids = smtp.ids() + hook.ids()
    assert all(ids), "every message carries its outbox id"
    assert [i for i, n in Counter(ids).items() if n > 1] == [], "no message twice"
    rows = outbox(rt)
    assert {r.status for r in rows} <= {"sent", "skipped", "pending"}
    assert [r for r in rows if r.status == "pending"] == [
        r for r in rows if r.kind == "review.reminder"
    ]
    assert len(ids) == len([r for r in rows if r.status == "sent"])


def test_nothing_secret_reaches_a_message(rt, client, team, smtp, hook, actors):
    """A wrong code, a password and tokens go through the events above; none reaches a
    message, nor does a channel's URL."""
    alice = team["alice"]
    code = alice.code()
    refused = client.post(
        "/api/v1/session", json={"username": "alice", "password": "nope-" + code, "otp": code}
    )
    assert refused.status_code == 401
    security_events(rt)
    drain(rt)
    everything = "\n".join(smtp.texts() + hook.texts())
    for secret in (code, alice.password, alice.token, bob_token(team), hook.url("bob")):
        assert secret not in everything
    assert "example.org" not in "\n".join(hook.texts()), "no e-mail address on webhooks"


def bob_token(team) -> str:
    return team["bob"].token
