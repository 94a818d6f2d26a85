"""The takedown preview answers the waiting lead quickly even when the account's request
budget is spent (a running takedown, a flood of read-backs): the account's listing says it
was paced out instead of the page hanging a minute per call."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from postgate.services import takedown_preview
from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials

pytestmark = pytest.mark.platform_protocol


def spend_budget(rt, account_id: int, seconds: int = 600) -> None:
    """The account's calls window, as the budget keeps it, spent for ``seconds``."""
    now_s, now_us = rt.redis.time()
    now_ms = now_s * 1000 + now_us // 1000
    key = rt.key("budget", account_id, "calls")
    window = {"limit": 1, "remaining": 0, "reset": now_ms + seconds * 1000, "period": 1000}
    rt.redis.hset(key, mapping=window | {"seen": 1})


def test_a_spent_budget_makes_the_preview_say_so_at_once(
    rt, client, actors, sandbox_url, monkeypatch
):
    monkeypatch.setattr(takedown_preview, "BUDGET_WAIT", 0.5)
    acme = make_account(rt, "acme", base_url=sandbox_url, credentials=sandbox_credentials(
        sandbox_url, "acme"
    ))  # fmt: skip
    make_account(rt, "beta", base_url=sandbox_url, credentials=sandbox_credentials(
        sandbox_url, "beta"
    ))  # fmt: skip
    sandbox.post_direct(sandbox_url, "beta", "attacker post")
    spend_budget(rt, acme)
    lead = actors.person("sam", "security")
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    started = time.monotonic()
    answer = client.post("/api/v1/takedowns/preview", json={"since": since}, headers=lead.headers)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.get_json()
    accounts = {a["name"]: a for a in answer.get_json()["accounts"]}
    assert "request budget is spent" in accounts["acme"]["reason"]
    assert accounts["beta"] == accounts["beta"] | {"listed": 1, "reason": ""}  # listed all the same
    assert elapsed < 10.0, f"the preview took {elapsed:.1f} s"
