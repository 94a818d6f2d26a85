"""Neutralise first where deleting is slow: under Mastodon's deletion limit, every attacker
post's text is replaced by the holding text at once, then deleted as the limit allows.

The attack: 30 deletions per 30 minutes; the old takedown left the attacker's text readable
for as long as the deletions took.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials

pytestmark = pytest.mark.platform_protocol

HOLDING = "This post has been removed: it was not published by us."


def start(rt, client, actors) -> int:
    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    answer = client.post(
        "/api/v1/takedowns", json={"since": since.isoformat()}, headers=lead.headers
    )
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["id"], lead


def test_posts_waiting_for_the_deletion_limit_are_neutralised_at_once(
    rt, client, actors, sandbox_url, monkeypatch
):
    from workers import takedown, takedown_account

    monkeypatch.setattr(takedown_account, "MAX_RATE_WAITS", 0)  # give up at the first 429
    sandbox.set_realism(sandbox_url, deletion_limit="2/600")
    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    for n in range(5):
        sandbox.post_direct(
            sandbox_url, "acme", f"BUY CRYPTO NOW {n}", "private" if n % 2 else "public"
        )
    takedown_id, lead = start(rt, client, actors)
    takedown.execute(rt, takedown_id)

    live = sandbox.list_live(sandbox_url, "acme")
    assert len(live) == 3  # only two deletions were allowed
    assert all(p["text"].startswith(HOLDING) and p["edited_at"] for p in live)
    done = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert done["status"] == "done_with_gaps"
    assert done["progress"]["accounts"]["acme"]["deleted_by"] is None  # nothing waits now
    outcomes = sorted(i["outcome"] for i in done["items"])
    assert outcomes == ["deleted", "deleted", "failed", "failed", "failed"]
    assert {i["evidence"]["text"] for i in done["items"]} == {
        f"BUY CRYPTO NOW {n}" for n in range(5)
    }


def test_neutralised_posts_are_then_deleted_as_the_limit_allows(rt, client, actors, sandbox_url):
    from workers import takedown

    sandbox.set_realism(sandbox_url, deletion_limit="3/1")
    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    for n in range(5):
        sandbox.post_direct(sandbox_url, "acme", f"scam {n}")
    takedown_id, lead = start(rt, client, actors)
    takedown.execute(rt, takedown_id)
    done = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert done["status"] == "done"
    assert {i["outcome"] for i in done["items"]} == {"deleted"}
    assert sandbox.list_live(sandbox_url, "acme") == []


def test_progress_estimates_when_waiting_posts_will_be_deleted(rt, client, actors, sandbox_url):
    """200 posts at 30 per 30 minutes: six more windows after the current one."""
    from datetime import datetime as dt

    from postgate.store.models import Account, TakedownItem

    make_account(
        rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(sandbox_url, "acme")
    )
    takedown_id, lead = start(rt, client, actors)
    with rt.store.transaction() as db:
        account_id = db.query(Account).one().id
        for n in range(200):
            db.add(
                TakedownItem(
                    takedown_id=takedown_id,
                    account_id=account_id,
                    remote_id=str(n),
                    origin="unauthorized",
                    evidence={},
                    outcome="neutralised",
                )
            )
    body = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    acme = body["progress"]["accounts"]["acme"]
    assert acme["neutralised"] == 200
    when = dt.fromisoformat(acme["deleted_by"])
    expected = dt.now(UTC) + timedelta(minutes=6 * 30)
    assert abs((when - expected).total_seconds()) < 60
