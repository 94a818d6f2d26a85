"""Scheduled publishing with real worker processes, Redis and the sandbox (invariants 4, 5, 7)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from postgate.store.models import Freeze
from postgate.timeparse import parse_aware
from sandbox import client as sandbox_client
from tests.helpers import wait_until

from .conftest import descendants


def test_post_publishes_at_its_time_and_not_before(workers, poster):
    workers.start()
    post_id = poster.schedule("Les soldes commencent aujourd'hui.", seconds=3)
    scheduled = poster.post(post_id).scheduled_at
    time.sleep(max(0.0, (scheduled - datetime.now(UTC)).total_seconds() - 0.4))
    asked_at, seen = datetime.now(UTC), poster.live()
    if asked_at < scheduled:  # a slow sleep may wake past the time; created_at is checked below
        assert seen == [], "published before its time"
    post = poster.wait_status(post_id, "published", timeout=8)
    live = poster.live("Les soldes commencent aujourd'hui.")
    assert len(live) == 1 and post.remote_id == live[0]["id"]
    created = parse_aware(live[0]["created_at"], "created_at")
    # The scheduler polls each second and a work horse forks per job: allow for a busy CI
    # machine; the benchmark, not this test, measures lateness.
    assert scheduled <= created <= scheduled + timedelta(seconds=3), (scheduled, created)
    assert post.published_at is not None and post.remote_url
    assert post.attempts == 1 and post.claim_token is None


def test_freeze_set_just_before_due_time_stops_the_post(workers, poster, rt):
    workers.start()
    post_id = poster.schedule("Annonce importante demain matin.", seconds=3)
    scheduled = poster.post(post_id).scheduled_at
    time.sleep(max(0.0, (scheduled - datetime.now(UTC)).total_seconds() - 0.8))
    with rt.store.transaction() as db:  # what the freeze service commits
        db.add(Freeze(account_id=None, reason="incident"))
    assert datetime.now(UTC) < scheduled, "the test itself was too slow to freeze in time"
    post = poster.wait_status(post_id, "blocked", timeout=6)
    assert "frozen" in post.status_reason
    time.sleep(1)
    assert poster.live() == []


def test_edited_post_old_job_does_not_publish_old_text(workers, poster, client, rt):
    """The edit goes through the API; the old revision's job is then put back on the queue
    by hand, as if the cancel had been missed, and must still publish nothing."""
    from postgate import queue

    post_id = poster.schedule("Ancien texte de l'annonce.", seconds=4)
    old = poster.post(post_id)
    author, reviewer = poster.people["author"], poster.people["reviewer"]
    edited = client.patch(
        f"/api/v1/posts/{post_id}",
        json={"text": "Nouveau texte de l'annonce."},
        headers=author.headers,
    )
    assert edited.status_code == 200 and edited.get_json()["status"] == "pending_review"
    approved = client.post(f"/api/v1/posts/{post_id}/approve", json={}, headers=reviewer.headers)
    assert approved.get_json()["status"] == "scheduled"
    queue.enqueue_publish(rt, post_id, old.revision, old.scheduled_at)  # the stale job
    workers.start()
    post = poster.wait_status(post_id, "published", timeout=10)
    time.sleep(0.5)
    assert [p["text"] for p in poster.live()] == ["Nouveau texte de l'annonce."]
    assert post.revision == old.revision + 1


def test_worker_killed_during_platform_call_publishes_exactly_once(
    workers, poster, sandbox_url, rt
):
    text = "Publication pendant une panne du worker."
    sandbox_client.set_faults(sandbox_url, latency_ms=3000)
    first = workers.start()
    post_id = poster.schedule(text, seconds=2)
    poster.wait_status(post_id, "publishing", timeout=6)
    wait_until(lambda: poster.live(text), 5, "the status to reach the platform")
    horses = descendants(first.pid)
    assert horses, "the worker should have a work horse making the call"
    workers.kill(first)  # the platform holds the status; nobody heard back
    assert poster.post(post_id).status == "publishing"
    sandbox_client.set_faults(sandbox_url, latency_ms=0)
    workers.start()
    post = poster.wait_status(post_id, "published", timeout=20)
    live = poster.live(text)
    assert len(live) == 1 and post.remote_id == live[0]["id"]
    time.sleep(1.5)
    assert len(poster.live(text)) == 1
    assert publish_how(rt, post_id) == "read-back"


def publish_how(rt, post_id: int) -> str:
    """How the post was recorded as published: by the call's answer or by reading back."""
    from sqlalchemy import select

    from postgate.store.models import AuditEntry

    with rt.store.session() as db:
        entry = db.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "post:publish", AuditEntry.target == f"post:{post_id}"
            )
        )
    return entry.details["how"]


def test_claim_of_a_dead_worker_that_never_reached_the_platform_is_published_once(
    workers, poster, rt
):
    """A worker died after claiming but before its request left: read-back finds nothing,
    so the post goes back to ``scheduled`` and a live worker publishes it, once."""
    from sqlalchemy import update

    from postgate import queue
    from postgate.store.models import Post

    text = "Le claim orphelin doit être publié une fois."
    post_id = poster.schedule(text, seconds=None)
    queue.cancel_publish(rt, post_id, 1)
    with rt.store.transaction() as db:
        db.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(
                status="publishing",
                claim_token="dead-worker",
                claimed_at=datetime.now(UTC) - timedelta(seconds=5),
                attempts=1,
            )
        )
    workers.start()
    post = poster.wait_status(post_id, "published", timeout=15)
    assert len(poster.live(text)) == 1 and post.attempts == 2


def test_429_with_retry_after_is_waited_out(workers, poster, rt, sandbox_url):
    from postgate.services.accounts import find_account
    from postgate.services.credentials import connector_for_account

    text = "Trop de requêtes, on attend poliment."
    workers.start()
    post_id = poster.schedule(text, seconds=2)
    sandbox_client.set_faults(sandbox_url, rate_limit="1/7")
    sandbox_client.get_stats(sandbox_url, reset=True)
    with rt.store.session() as db:
        account = find_account(db, "acme")
        with connector_for_account(rt, account) as connector:
            connector.verify_credentials()  # uses the one request of the window
    post = poster.wait_status(post_id, "published", timeout=12)
    stats = sandbox_client.get_stats(sandbox_url)
    assert stats["rate_limited"] == 1, stats  # one 429, then it waited as told
    assert post.attempts == 2 and len(poster.live(text)) == 1
    assert post.published_at >= post.scheduled_at + timedelta(seconds=2)


def test_permanent_error_ends_in_failed_with_the_reason(workers, poster, rt, sandbox_url):
    import httpx

    from postgate.services.accounts import find_account
    from postgate.services.credentials import account_credentials

    post_id = poster.schedule("Ce jeton a été révoqué.", seconds=2)
    with rt.store.session() as db:
        token = account_credentials(rt, find_account(db, "acme"))["token"]
    # Revoked on the platform's side (the account owner did it): no client pair needed.
    sandbox_client.set_realism(sandbox_url, revoke_requires_client=False)
    httpx.post(f"{sandbox_url}/oauth/revoke", data={"token": token}).raise_for_status()
    workers.start()
    post = poster.wait_status(post_id, "failed", timeout=10)
    assert "token" in post.status_reason.lower(), post.status_reason
    assert post.attempts == 1 and poster.live() == []
    with rt.store.session() as db:
        assert find_account(db, "acme").status == "disconnected"


def test_publish_time_checks_block_tampered_content_and_compromised_account(poster, rt):
    """The job itself, run in-process: what changed after approval is caught before the call."""
    from sqlalchemy import update

    from postgate.store.models import Account, Post
    from workers.jobs import publish

    tampered = poster.schedule("Texte approuvé.", seconds=None)
    with rt.store.transaction() as db:
        db.execute(update(Post).where(Post.id == tampered).values(text="Texte modifié en base."))
    assert publish(rt, tampered, 1).startswith("blocked")
    assert "not what was approved" in poster.post(tampered).status_reason
    other = poster.schedule("Compte compromis, rien ne part.", seconds=None)
    with rt.store.transaction() as db:
        db.execute(update(Account).values(status="compromised"))
    assert publish(rt, other, 1).startswith("blocked")
    assert "compromised" in poster.post(other).status_reason
    assert poster.live() == []


# --- a 2xx answer to the create that is not what the platform documents ---------------------
# The account is reached through a proxy that answers chosen requests with an HTML page and
# 200 (tests/workers/connectors/garbling.py). The post must end published exactly once or
# clearly failed, with no KeyError or traceback in the worker's log.

GARBLED = "sandbox answered 200 to the publish with a body that is not JSON (text/html)"
NO_ID = "sandbox answered 200 to the publish without a status id"


def assert_clean_log(workers) -> None:
    log = workers.log_text()
    assert "Traceback" not in log and "KeyError" not in log, log[-3000:]


def test_garbled_answer_to_a_create_that_went_through_is_read_back_not_reposted(
    workers, poster, rt, sandbox_url
):
    """The sandbox made the status, then the answer came back as JSON without its id: the
    claim is kept like a lost answer, and reading the account back finds the status."""
    from tests.workers.garbling import JSON_WITHOUT_ID, garbling_proxy, route_account

    text = "Réponse illisible, mais le statut est bien publié."
    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        create = proxy.garble("POST", "/api/v1/statuses", forward=True, body=JSON_WITHOUT_ID)
        workers.start()
        post_id = poster.schedule(text, seconds=None)
        waiting = wait_until(
            lambda: NO_ID in poster.post(post_id).status_reason and poster.post(post_id),
            10,
            "the malformed answer to be recorded",
        )
        assert waiting.status == "publishing" and "outcome unknown" in waiting.status_reason
        post = poster.wait_status(post_id, "published", "failed", timeout=20)
        time.sleep(1.5)
        assert create.hits == 1, "the create was sent again"
    live = poster.live(text)
    assert post.status == "published" and len(live) == 1 and post.remote_id == live[0]["id"]
    assert post.attempts == 1 and post.claim_token is None and post.status_reason == ""
    assert publish_how(rt, post_id) == "read-back"
    assert_clean_log(workers)


def test_garbled_answer_to_a_create_that_never_happened_publishes_once_on_retry(
    workers, poster, rt, sandbox_url
):
    """Nothing reached the sandbox: the read-back finds nothing, the claim is released and
    the next attempt publishes, once."""
    from tests.workers.garbling import garbling_proxy, route_account

    text = "La première réponse était une page HTML."
    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        create = proxy.garble("POST", "/api/v1/statuses", times=1)
        workers.start()
        post_id = poster.schedule(text, seconds=None)
        post = poster.wait_status(post_id, "published", "failed", timeout=25)
        time.sleep(1)
    live = poster.live(text)
    assert post.status == "published" and len(live) == 1 and post.remote_id == live[0]["id"]
    assert create.hits == 1 and post.attempts == 2
    assert publish_how(rt, post_id) == "publish"
    assert_clean_log(workers)


def test_create_always_answered_with_garbage_ends_failed_with_a_readable_reason(
    workers, poster, rt, sandbox_url
):
    """Every attempt gets a maintenance page and nothing is ever made: after the configured
    3 attempts (each resolved by reading the account back) the post is ``failed``."""
    from tests.workers.garbling import garbling_proxy, route_account

    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        create = proxy.garble("POST", "/api/v1/statuses")
        workers.start()
        post_id = poster.schedule("Cette annonce ne passera jamais.", seconds=None)
        post = poster.wait_status(post_id, "failed", "published", timeout=45)
        assert create.hits == 3
    assert post.status == "failed" and poster.live() == []
    assert post.status_reason == (
        f"gave up after 3 attempts: attempt 3: {GARBLED}; not found on the account"
    )
    assert_clean_log(workers)


def test_an_exception_escaping_a_connector_is_a_lost_answer_not_a_crash(poster, rt, monkeypatch):
    """Defence in depth, in-process: should a connector still raise something unmapped after
    sending, the job neither crashes nor fails the post; it keeps the claim for read-back."""
    from postgate.platforms.mastodon import MastodonConnector
    from workers.jobs import publish

    def garbled(self, text, *, idempotency_key, key_time=None):
        raise KeyError("id")

    monkeypatch.setattr(MastodonConnector, "publish", garbled)
    post_id = poster.schedule("Une exception que personne n'attendait.", seconds=None)

    assert publish(rt, post_id, 1).startswith("retry at")
    post = poster.post(post_id)
    assert post.status == "publishing" and post.claim_token is not None
    assert post.status_reason.startswith(
        "attempt 1: sandbox: unreadable answer to the publish (KeyError) (outcome unknown"
    )


def test_unknown_outcome_with_an_unreadable_account_says_so_and_never_reposts(
    workers, poster, rt, sandbox_url
):
    """The create went through but its answer was garbled, and the account's listing is
    garbled too: the post stays ``publishing`` with a reason saying the account cannot be
    read back, the create is never sent again, and once the listing answers it settles."""
    from postgate.services.publishing import UNRESOLVED_NOTE
    from tests.workers.garbling import JSON_WITHOUT_ID, garbling_proxy, route_account

    text = "Publié, mais le compte ne se relit plus."
    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        create = proxy.garble("POST", "/api/v1/statuses", forward=True, body=JSON_WITHOUT_ID)
        listing = proxy.garble("GET", "/api/v1/accounts/")
        workers.start()
        post_id = poster.schedule(text, seconds=None)
        stuck = wait_until(
            lambda: UNRESOLVED_NOTE in poster.post(post_id).status_reason and poster.post(post_id),
            20,
            "the post to say its account cannot be read back",
        )
        assert stuck.status == "publishing" and NO_ID in stuck.status_reason
        assert listing.hits >= 1 and create.hits == 1
        listing.times = 0  # the platform's listing answers again
        post = poster.wait_status(post_id, "published", "failed", timeout=20)
        assert create.hits == 1, "the create was sent again"
    assert post.status == "published" and post.status_reason == ""
    assert len(poster.live(text)) == 1 and publish_how(rt, post_id) == "read-back"
    assert_clean_log(workers)
