"""Limits as the account's server states them: read at connect and daily, counted as that
server counts (issue 11), against the sandbox's ``GET /api/v2/instance``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from postgate.services.accounts import add_account, find_account
from postgate.services.checking import evaluate
from postgate.services.server_limits import refresh_due_limits
from postgate.store.models import Account
from postgate.store.types import utcnow
from sandbox import client as sandbox_client
from sandbox.server import running_sandbox


@pytest.fixture
def sandbox_url(tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


def connect(rt, sandbox_url):
    with rt.store.transaction() as db:
        add_account(rt, db, "acme", "sandbox", base_url=sandbox_url)


def too_long(rt, text: str) -> bool:
    with rt.store.session() as db:
        account = find_account(db, "acme")
        findings = evaluate(rt, db, account, text, None).findings
    return any(f.rule == "platform-limits" for f in findings)


def test_limits_are_read_at_connect_and_counted_as_the_server_counts(rt, sandbox_url):
    sandbox_client.set_behaviour(sandbox_url, max_characters=120)
    connect(rt, sandbox_url)
    with rt.store.session() as db:
        account = find_account(db, "acme")
        assert account.server_limits == {"max_length": 120, "max_media": 4, "url_length": 23}
        assert account.server_limits_at is not None
    assert too_long(rt, "x" * 121)
    assert not too_long(rt, "x" * 120)
    # 151 characters as typed, 94 as Mastodon counts: the URL is 23, the mention "@team".
    text = "@team@a-very-long-server-name.example " + "https://acme.fr/" + "p" * 60 + " " + "y" * 64
    assert len(text) > 120
    assert not too_long(rt, text)
    published = sandbox_client.post_direct(sandbox_url, "acme", text)  # the server agrees
    assert published["id"]


def test_limits_are_read_again_once_a_day(rt, sandbox_url):
    connect(rt, sandbox_url)
    assert refresh_due_limits(rt) == 0  # read at connect, not due yet
    sandbox_client.set_behaviour(sandbox_url, max_characters=1000)
    assert too_long(rt, "x" * 600)
    assert refresh_due_limits(rt, now=utcnow() + timedelta(days=1, minutes=1)) == 1
    assert not too_long(rt, "x" * 600)


def test_a_server_that_does_not_answer_keeps_the_last_limits(rt, sandbox_url):
    sandbox_client.set_behaviour(sandbox_url, max_characters=200)
    connect(rt, sandbox_url)
    with rt.store.transaction() as db:
        db.execute(update(Account).values(base_url="http://127.0.0.1:1"))
    assert refresh_due_limits(rt, now=utcnow() + timedelta(days=2)) == 0
    with rt.store.session() as db:
        assert find_account(db, "acme").server_limits["max_length"] == 200
    assert too_long(rt, "x" * 201)
