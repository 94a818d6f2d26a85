"""The estimate shown per account (``progress.accounts[name].deleted_by``) is when the
waiting posts are in fact all deleted.

Small scale, the deletion limit compressed through the sandbox's settings: 4 deletions per
4 s instead of Mastodon's 30 per 30 minutes, 11 attacker posts (3 windows). The window is
long enough that, however slowly a busy machine sends the second window's deletions, the
last three posts visibly wait for the third (with 2 s, a full run once saw no wait at all).
The takedown job runs in a thread of this process while the test follows the API, as the
console does.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from postgate.platforms.registry import PLATFORMS
from postgate.services.takedown_view import deleted_by
from sandbox import client as sandbox
from sandbox.faults import parse_rate_limit
from sandbox.server import running_sandbox
from sandbox.switches import Realism
from tests.helpers import make_account, sandbox_credentials

pytestmark = pytest.mark.platform_protocol


@pytest.fixture
def limited(tmp_path):
    realism = Realism(deletion_limit=parse_rate_limit("4/4"))
    with running_sandbox(tmp_path / "sandbox.db", realism=realism) as url:
        yield url


def test_the_estimate_is_when_the_last_post_goes(rt, client, actors, limited):
    from workers import takedown

    make_account(rt, "acme", base_url=limited, credentials=sandbox_credentials(limited, "acme"))
    for i in range(11):
        sandbox.post_direct(limited, "acme", f"SCAM {i}")
    lead = actors.person("sam", "security")
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    started = client.post(
        "/api/v1/takedowns", json={"since": since, "accounts": ["acme"]}, headers=lead.headers
    )
    takedown_id = started.get_json()["id"]
    job = threading.Thread(target=takedown.execute, args=(rt, takedown_id))
    job.start()
    estimates = []  # (waiting, deleted_by) once the run has seen two windows end
    while job.is_alive():
        body = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
        acme = body["progress"]["accounts"]["acme"]
        waiting = acme["pending"] + acme["neutralised"]
        if waiting and acme["deleted"] >= 8:  # after the second refusal: the window is known
            estimates.append(datetime.fromisoformat(acme["deleted_by"]))
        time.sleep(0.1)
    job.join()
    body = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    assert {i["outcome"] for i in body["items"]} == {"deleted"}
    last = max(datetime.fromisoformat(i["updated_at"]) for i in body["items"])
    assert estimates, "the run never showed posts waiting for the third window"
    for estimate in estimates:
        assert abs((estimate - last).total_seconds()) < 1.0, (estimate, last)


def test_at_the_documented_limit_a_window_per_full_batch():
    """Mastodon's 30 per 30 minutes, nothing refused yet: 200 posts take 6 more windows."""
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    spec = PLATFORMS["mastodon"]
    assert deleted_by(spec, None, 200, [], now) == now + timedelta(hours=3)
    assert deleted_by(spec, None, 30, [], now) == now
    refused = {"resets_at": (now + timedelta(minutes=20)).isoformat(), "per_window": 30}
    assert deleted_by(spec, refused, 31, [], now) == now + timedelta(minutes=50)
