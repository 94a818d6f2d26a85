"""After deleting, the takedown lists the account again and tells the truth.

The attacks: a server that answers a delete with success but keeps the post (the old
takedown said ``done``), a server that hides non-public posts from their owner's listing,
and a listing that fails at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials

pytestmark = pytest.mark.platform_protocol


def run(rt, client, actors, sandbox_url) -> dict:
    from workers import takedown

    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    body = {"since": since.isoformat(), "accounts": ["acme"]}
    started = client.post("/api/v1/takedowns", json=body, headers=lead.headers)
    assert started.status_code == 202, started.get_json()
    takedown.execute(rt, started.get_json()["id"])
    path = f"/api/v1/takedowns/{started.get_json()['id']}"
    return client.get(path, headers=lead.headers).get_json()


def connect(rt, url):
    make_account(rt, "acme", base_url=url, credentials=sandbox_credentials(url, "acme"))


def test_everything_gone_and_revoked_is_done(rt, client, actors, sandbox_url):
    connect(rt, sandbox_url)
    for n in range(3):
        sandbox.post_direct(sandbox_url, "acme", f"scam {n}")
    done = run(rt, client, actors, sandbox_url)
    assert done["status"] == "done"
    assert {i["outcome"] for i in done["items"]} == {"deleted"}


def test_a_post_still_listed_after_its_delete_is_still_live(
    rt, client, actors, sandbox_url, monkeypatch
):
    """The platform says "deleted" for one post but keeps it (a replica lagging, a bug)."""
    from postgate.platforms.mastodon import MastodonConnector

    connect(rt, sandbox_url)
    kept = sandbox.post_direct(sandbox_url, "acme", "survives its delete")["id"]
    sandbox.post_direct(sandbox_url, "acme", "really deleted")
    real_delete = MastodonConnector.delete

    def lying_delete(self, remote_id):
        return "deleted" if remote_id == kept else real_delete(self, remote_id)

    monkeypatch.setattr(MastodonConnector, "delete", lying_delete)
    done = run(rt, client, actors, sandbox_url)
    assert done["status"] == "done_with_gaps"
    items = {i["remote_id"]: i for i in done["items"]}
    assert items[kept]["outcome"] == "still_live"
    assert items[kept]["reason"] == "still listed by the platform after the deletion"
    assert done["progress"]["still_live"] == 1 and done["progress"]["deleted"] == 1


def test_posts_the_listing_cannot_see_leave_a_gap(rt, client, actors, sandbox_url):
    """A server that hides followers-only posts from their owner: the takedown cannot find
    them, but the account's post count gives them away."""
    connect(rt, sandbox_url)
    sandbox.set_realism(sandbox_url, owner_sees_all=False)
    sandbox.post_direct(sandbox_url, "acme", "hidden scam", "private")
    sandbox.post_direct(sandbox_url, "acme", "visible scam")
    done = run(rt, client, actors, sandbox_url)
    assert done["status"] == "done_with_gaps"
    (account,) = done["accounts"]
    assert "counts 1 posts on the account but lists only 0" in account["gaps"]
    assert [p["text"] for p in sandbox.list_live(sandbox_url, "acme")] == ["hidden scam"]


def test_a_failed_check_leaves_every_deletion_unverified(
    rt, client, actors, sandbox_url, monkeypatch
):
    from postgate.platforms.base import RetryableError
    from postgate.platforms.mastodon import MastodonConnector
    from workers import takedown_account

    monkeypatch.setattr(takedown_account, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(takedown_account, "SWEEPS", 0)
    connect(rt, sandbox_url)
    sandbox.post_direct(sandbox_url, "acme", "scam")
    real_list = MastodonConnector.list_recent
    calls = []

    def flaky_list(self, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RetryableError("sandbox: HTTP 503: Service unavailable", status=503)
        return real_list(self, **kwargs)

    monkeypatch.setattr(MastodonConnector, "list_recent", flaky_list)
    done = run(rt, client, actors, sandbox_url)
    assert done["status"] == "done_with_gaps"
    (item,) = done["items"]
    assert item["outcome"] == "unverified"
    assert item["reason"].startswith("could not list the account again to check: ")
