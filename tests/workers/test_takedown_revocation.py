"""The stolen credential really dies, or the takedown says it did not and what to do.

A credential counts as revoked only once Postgate has checked that it no longer verifies.
The takedown job runs in this process against the realistic sandbox, whose ``/oauth/revoke``
refuses a token of an app when the app's client credentials do not come with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from postgate.store.models import AuditEntry
from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials

pytestmark = pytest.mark.platform_protocol

VERIFY = "/api/v1/accounts/verify_credentials"


def accounts_of(client, lead, takedown_id: int) -> list[dict]:
    body = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert body["status"] == (
        "done" if body["accounts"][0]["credentials_revoked"] else "done_with_gaps"
    )
    return body["accounts"]


def run_takedown(rt, client, lead) -> int:
    from workers import takedown

    since = datetime.now(UTC) - timedelta(minutes=1)
    started = client.post(
        "/api/v1/takedowns",
        json={"since": since.isoformat(), "accounts": ["acme"]},
        headers=lead.headers,
    )
    assert started.status_code == 202, started.get_json()
    takedown.execute(rt, started.get_json()["id"])
    return started.get_json()["id"]


def compromised_entry(rt) -> AuditEntry:
    with rt.store.session() as db:
        return db.scalar(select(AuditEntry).where(AuditEntry.action == "account:compromised"))


def still_works(url: str, token: str) -> bool:
    answer = httpx.get(url + VERIFY, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 200


def test_with_the_client_pair_the_token_is_revoked_and_checked_dead(
    rt, client, actors, sandbox_url
):
    credentials = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    sandbox.post_direct(sandbox_url, "acme", "attacker post")
    lead = actors.person("sam", "security")
    takedown_id = run_takedown(rt, client, lead)
    entry = compromised_entry(rt)
    assert entry.details["credentials_revoked"] is True and entry.result == "ok"
    assert accounts_of(client, lead, takedown_id) == [
        {"name": "acme", "credentials_revoked": True, "reason": "", "gaps": ""}
    ]
    assert not still_works(sandbox_url, credentials["token"])


def test_a_refused_revocation_is_not_reported_as_revoked(rt, client, actors, sandbox_url):
    """The attack: a token stored without its app's client pair. Mastodon answers 403 to
    the revocation; the old code reported ``credentials_revoked: true`` all the same."""
    token = sandbox_credentials(sandbox_url, "acme")["token"]
    make_account(rt, "acme", base_url=sandbox_url, token=token)
    sandbox.post_direct(sandbox_url, "acme", "attacker post")
    lead = actors.person("sam", "security")
    takedown_id = run_takedown(rt, client, lead)
    assert still_works(sandbox_url, token)  # the stolen token lives on
    (shown,) = accounts_of(client, lead, takedown_id)
    assert shown["credentials_revoked"] is False and "By hand" in shown["reason"]
    entry = compromised_entry(rt)
    assert entry.details["credentials_revoked"] is False and entry.result == "not_revoked"
    reason = entry.details["reason"]
    assert reason.startswith("the revocation failed: ") and "unauthorized_client" in reason
    assert "By hand: issue a new token" in reason


def test_a_lenient_server_revokes_without_the_pair(rt, client, actors, sandbox_url):
    sandbox.set_realism(sandbox_url, revoke_requires_client=False)
    token = sandbox_credentials(sandbox_url, "acme")["token"]
    make_account(rt, "acme", base_url=sandbox_url, token=token)
    run_takedown(rt, client, actors.person("sam", "security"))
    assert compromised_entry(rt).details["credentials_revoked"] is True
    assert not still_works(sandbox_url, token)
