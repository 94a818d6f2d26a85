"""A token that ends or is refused: the account becomes ``disconnected``, its scheduled posts
wait (never ``failed``, no platform call), the admins are told, and reconnecting it sends
them. Real worker processes, the sandbox platform, the store; the worker's periodic loop
notices the token's end (``[oauth] refresh_check_seconds`` shortened to one second)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from postgate.store.models import Account, AuditEntry
from postgate.store.types import utcnow
from sandbox import client as sandbox_client
from tests.helpers import wait_until


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    config = Path(env["POSTGATE_CONFIG"])
    config.write_text(config.read_text() + "\n[oauth]\nrefresh_check_seconds = 1\n")
    return env


def _events(rt, action: str) -> list[AuditEntry]:
    with rt.store.session() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_ended_token_disconnects_posts_wait_and_go_once_reconnected(
    workers, poster, rt, client, actors, sandbox_url
):
    # An OAuth token that ended and cannot be refreshed (Mastodon's never expire; this one is
    # marked as ending so the worker must notice it on its own).
    with rt.store.transaction() as db:
        db.execute(update(Account).values(token_expires_at=utcnow() - timedelta(seconds=1)))
    workers.start()
    wait_until(lambda: _events(rt, "account:disconnected"), 15, "the account disconnected")
    post_id = poster.schedule("Le lancement attend son compte.", seconds=1)
    disconnected = _events(rt, "account:disconnected")[0]
    assert disconnected.target == "account:acme" and "expired" in disconnected.details["reason"]
    wait_until(lambda: "disconnected" in poster.post(post_id).status_reason, 15, "the wait")
    time.sleep(1.5)  # the reconciler runs every second: it must not send the post anyway
    post = poster.post(post_id)
    assert post.status == "scheduled" and post.attempts == 0 and poster.live() == []
    # An admin reconnects the account with fresh credentials: the post goes at once.
    admin = actors.person("ada", "admin")
    fresh = sandbox_client.issue_token(sandbox_url, "acme")
    answer = client.put(
        "/api/v1/accounts/acme/credentials",
        json={"credentials": {"token": fresh["access_token"]}},
        headers=admin.headers,
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "active"
    post = poster.wait_status(post_id, "published", timeout=15)
    assert len(poster.live("Le lancement attend son compte.")) == 1
    with rt.store.session() as db:
        account = db.scalar(select(Account))
        assert account.token_expires_at is None  # typed-in credentials: nothing to refresh
