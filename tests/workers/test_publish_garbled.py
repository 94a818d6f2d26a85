"""A 2xx answer to the create that is not what the platform documents (invariant 5).

The account is reached through a proxy that answers chosen requests with an HTML page and
200 (tests/workers/garbling.py). The post must end published exactly once or clearly
failed, with no KeyError or traceback in the worker's log."""

from __future__ import annotations

import time

import pytest

from tests.helpers import wait_until
from tests.workers.publish_checks import assert_clean_log, publish_how

pytestmark = pytest.mark.platform_protocol

GARBLED = "sandbox answered 200 to the publish with a body that is not JSON (text/html)"


NO_ID = "sandbox answered 200 to the publish without a status id"


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
