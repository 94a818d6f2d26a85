"""A token rotated during a takedown is the one revoked.

A takedown deletes for as long as the platform's deletion limit asks (30 minutes for every
30 deletions on Mastodon); the token-refresh job may rotate the account's token meanwhile
(X rotates the refresh token too). The revocation must kill the credentials the store holds
when it runs, not those read when the takedown started, and no refresh may slip in between
(it waits for the account's refresh lease, which the revocation holds)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postgate.store.models import Account
from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials
from tests.workers.test_takedown_revocation import compromised_entry, run_takedown, still_works
from workers import takedown_account
from workers.tokens import refresh_lease

pytestmark = pytest.mark.platform_protocol


def test_the_token_rotated_during_the_deletions_is_the_one_revoked(
    rt, client, actors, sandbox_url, monkeypatch
):
    first = sandbox_credentials(sandbox_url, "acme")
    rotated = sandbox_credentials(sandbox_url, "acme")  # what a refresh would have stored
    make_account(rt, "acme", base_url=sandbox_url, credentials=first)
    sandbox.post_direct(sandbox_url, "acme", "attacker post")
    verify = takedown_account.AccountTakedown.verify
    seen_lease: list[bool] = []

    def rotate_then_verify(self):
        gaps = verify(self)
        with rt.store.transaction() as db:  # the refresh job, between deleting and revoking
            account = db.scalar(select(Account).where(Account.name == "acme"))
            account.credentials_enc = rt.vault.encrypt_json(rotated)
        return gaps

    original_revoke = takedown_account.AccountTakedown._revoke_and_check

    def revoke_while_a_refresh_tries(self):
        seen_lease.append(refresh_lease(rt, self.account_id).acquire(wait=0.0))
        return original_revoke(self)

    monkeypatch.setattr(takedown_account.AccountTakedown, "verify", rotate_then_verify)
    monkeypatch.setattr(
        takedown_account.AccountTakedown, "_revoke_and_check", revoke_while_a_refresh_tries
    )
    run_takedown(rt, client, actors.person("sam", "security"))

    assert not still_works(sandbox_url, rotated["token"])  # the live token is dead
    assert compromised_entry(rt).details["credentials_revoked"] is True
    assert seen_lease == [False]  # a refresh could not start while the revocation ran
