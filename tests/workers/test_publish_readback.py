"""At most once against a server that rewrites text and forgets keys (invariant 5, issue 11).

The sandbox runs in its realistic mode (Mastodon's HTML markup of mentions, hashtags and
links; an Idempotency-Key memory that a test can shorten or turn off), and real workers
publish through it. Each test is a way a real server broke the old read-back, which compared
the approved text with the platform's text and read only the 200 newest posts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox import client as sandbox_client

from .publish_checks import assert_clean_log, publish_how

pytestmark = pytest.mark.platform_protocol

TEXT = (
    "Bienvenue @team@other.example ! #Lancement "
    "https://acme.fr/annonces/2026/la-grande-nouvelle-du-jour"
)


@pytest.mark.parametrize("idempotency", [True, False], ids=["keys-kept", "keys-ignored"])
def test_lost_answer_to_a_post_with_a_mention_is_read_back_not_reposted(
    workers, poster, rt, sandbox_url, idempotency
):
    """The create went through, its answer was lost; the platform shows ``@team`` where the
    text says ``@team@other.example``. The read-back must still recognise the post: the
    create is never sent again, whether or not the server honours the idempotency key."""
    from tests.workers.garbling import JSON_WITHOUT_ID, garbling_proxy, route_account

    sandbox_client.set_behaviour(sandbox_url, markup=True, idempotency=idempotency)
    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        create = proxy.garble("POST", "/api/v1/statuses", forward=True, body=JSON_WITHOUT_ID)
        workers.start()
        post_id = poster.schedule(TEXT, seconds=None)
        post = poster.wait_status(post_id, "published", "failed", timeout=60)
        time.sleep(1.5)
        assert create.hits == 1, "the create was sent again"
    live = poster.live(TEXT)
    assert post.status == "published" and len(live) == 1 and post.remote_id == live[0]["id"]
    assert publish_how(rt, post_id) == "read-back"
    assert_clean_log(workers)


def test_worker_killed_mid_call_then_250_newer_posts_publishes_exactly_once(
    workers, poster, rt, sandbox_url
):
    """The dead worker's create reached the platform, the server no longer remembers its
    key, and 250 newer posts bury it: the read-back pages back to the claim and finds it."""
    from sqlalchemy import update

    from postgate import queue
    from postgate.store.models import Post

    sandbox_client.set_behaviour(sandbox_url, markup=True, idempotency=False)
    post_id = poster.schedule(TEXT, seconds=None)
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
    token = sandbox_client.issue_token(sandbox_url, "acme")["access_token"]
    made = httpx.post(
        f"{sandbox_url}/api/v1/statuses",
        data={"status": TEXT},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"postgate-{post_id}-r1"},
    ).json()
    for n in range(250):
        sandbox_client.post_direct(sandbox_url, "acme", f"Message du flot n°{n}")
    workers.start()
    post = poster.wait_status(post_id, "published", "failed", timeout=60)
    time.sleep(1)
    assert post.status == "published" and post.remote_id == made["id"]
    assert len(poster.live(TEXT)) == 1
    assert publish_how(rt, post_id) == "read-back"
