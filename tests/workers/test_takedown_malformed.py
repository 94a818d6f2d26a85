"""A takedown whose platform answers some calls with a maintenance page and 200.

The real sandbox sits behind the garbling proxy; the takedown job runs in this process.
Malformed answers to the listing, a delete and the revocation must each end as a retry or
a ``failed`` outcome with a reason a person can read, and the takedown must still finish.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from postgate.store.models import AuditEntry
from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials

from .garbling import garbling_proxy, route_account

pytestmark = pytest.mark.platform_protocol

DELETE_REASON = "sandbox answered 200 to the delete with a body that is not JSON (text/html)"
REVOKE_REASON = "sandbox answered 200 to the revocation with a body that is not JSON (text/html)"


def test_takedown_with_malformed_answers_completes_with_reasons(
    rt, client, actors, sandbox_url, monkeypatch
):
    from workers import takedown, takedown_account

    monkeypatch.setattr(takedown_account, "MAX_ATTEMPTS", 2)  # two tries a call keep the test short
    credentials = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    since = datetime.now(UTC) - timedelta(seconds=2)
    stuck = sandbox.post_direct(sandbox_url, "acme", "Attacker post behind a broken proxy")
    gone = sandbox.post_direct(sandbox_url, "acme", "Attacker post deleted as usual")
    remote_account = sandbox.get_account(sandbox_url, "acme")["id"]
    lead = actors.person("sam", "security")

    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        listing = proxy.garble("GET", f"/api/v1/accounts/{remote_account}/statuses", times=1)
        delete = proxy.garble("DELETE", f"/api/v1/statuses/{stuck['id']}")  # never reaches it
        revoke = proxy.garble("POST", "/oauth/revoke")
        started = client.post(
            "/api/v1/takedowns",
            json={"since": since.isoformat(), "accounts": ["acme"]},
            headers=lead.headers,
        )
        assert started.status_code == 202, started.get_json()
        takedown_id = started.get_json()["id"]
        takedown.execute(rt, takedown_id)

    done = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert done["status"] == "done_with_gaps"  # a post failed and the token was not revoked
    items = {item["remote_id"]: item for item in done["items"]}
    assert set(items) == {stuck["id"], gone["id"]}  # the listing was retried, not lost
    assert listing.hits == 1 and delete.hits == 2 and revoke.hits == 2
    assert (items[gone["id"]]["outcome"], items[gone["id"]]["reason"]) == ("deleted", "")
    assert (items[stuck["id"]]["outcome"], items[stuck["id"]]["reason"]) == (
        "failed",
        DELETE_REASON,
    )
    assert items[stuck["id"]]["evidence"]["text"] == "Attacker post behind a broken proxy"
    assert [p["id"] for p in sandbox.list_live(sandbox_url, "acme")] == [stuck["id"]]
    with rt.store.session() as db:
        compromised = db.scalar(
            select(AuditEntry).where(AuditEntry.action == "account:compromised")
        )
    assert compromised.result == "not_revoked"
    assert compromised.details["credentials_revoked"] is False
    assert compromised.details["reason"].startswith(f"the revocation failed: {REVOKE_REASON}. ")


def test_a_delete_whose_answer_was_garbled_then_not_found_stays_deleted(
    rt, client, actors, sandbox_url
):
    """The platform deleted the post but its answer was lost; the retry hears 404. The item
    is ``deleted`` (Postgate's own call took it down), with a reason saying so."""
    from workers import takedown

    credentials = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    since = datetime.now(UTC) - timedelta(seconds=2)
    post = sandbox.post_direct(sandbox_url, "acme", "Attacker post deleted on the first try")
    lead = actors.person("sam", "security")

    with garbling_proxy(sandbox_url) as proxy:
        route_account(rt, "acme", proxy.url)
        delete = proxy.garble("DELETE", f"/api/v1/statuses/{post['id']}", times=1, forward=True)
        started = client.post(
            "/api/v1/takedowns",
            json={"since": since.isoformat(), "accounts": ["acme"]},
            headers=lead.headers,
        )
        assert started.status_code == 202, started.get_json()
        takedown.execute(rt, started.get_json()["id"])

    assert delete.hits == 1
    done = client.get(f"/api/v1/takedowns/{started.get_json()['id']}", headers=lead.headers)
    (item,) = done.get_json()["items"]
    assert item["outcome"] == "deleted"
    assert item["reason"].startswith("gone when retried"), item
    assert sandbox.list_live(sandbox_url, "acme") == []
