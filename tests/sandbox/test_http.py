"""The real threaded server over loopback HTTP: round trips and injected faults."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from sandbox import client as sandbox
from tests.helpers import wait_until


def bearer(url: str, name: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.issue_token(url, name)['access_token']}"}


def publish(url: str, headers: dict[str, str], text: str = "hello", **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/statuses", data={"status": text}, headers=headers, **kwargs)


def test_create_list_delete_round_trip(live_url):
    headers = bearer(live_url)
    status = publish(live_url, headers, "over the wire").json()
    assert status["url"] == f"{live_url}/@acme/{status['id']}"
    account_id = sandbox.get_account(live_url, "acme")["id"]
    listed = httpx.get(f"{live_url}/api/v1/accounts/{account_id}/statuses", headers=headers)
    assert [s["id"] for s in listed.json()] == [status["id"]]
    assert sandbox.list_live(live_url, "acme")[0]["text"] == "over the wire"
    deleted = httpx.delete(f"{live_url}/api/v1/statuses/{status['id']}", headers=headers)
    assert deleted.json()["text"] == "over the wire"
    assert sandbox.list_live(live_url, "acme") == []


def test_idempotency_key_over_http(live_url):
    headers = {**bearer(live_url), "Idempotency-Key": "job-7"}
    ids = {publish(live_url, headers, "same").json()["id"] for _ in range(3)}
    assert len(ids) == 1
    assert len(sandbox.list_live(live_url, "acme")) == 1


def test_concurrent_creates_get_distinct_ids(live_url):
    headers = bearer(live_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: publish(live_url, headers, f"p{n}"), range(24)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["id"] for a in answers}) == 24
    assert len(sandbox.list_live(live_url, "acme")) == 24


def test_concurrent_same_idempotency_key_creates_once(live_url):
    headers = {**bearer(live_url), "Idempotency-Key": "race"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: publish(live_url, headers, "once"), range(8)))
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(sandbox.list_live(live_url, "acme")) == 1


def test_revoke_then_401(live_url):
    issued = sandbox.issue_token(live_url, "acme")
    token = issued["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    pair = {"client_id": issued["client_id"], "client_secret": issued["client_secret"]}
    revoked = httpx.post(f"{live_url}/oauth/revoke", data={"token": token, **pair})
    assert revoked.status_code == 200
    answer = publish(live_url, headers)
    assert answer.status_code == 401
    assert answer.json() == {"error": "The access token was revoked"}


def test_rate_limit_429_then_success_after_retry_after(live_url):
    headers = bearer(live_url)
    # Two calls in a window of 4 s: the three calls below fit in one window even on a busy
    # machine (with 1 s, a slow third call met a new window and was answered 200).
    sandbox.set_faults(live_url, rate_limit="2/4")
    first = publish(live_url, headers, "1")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-Reset"].endswith("Z")
    assert publish(live_url, headers, "2").status_code == 200
    refused = publish(live_url, headers, "3")
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 4
    other_account = publish(live_url, bearer(live_url, "other"), "elsewhere")
    assert other_account.status_code == 200  # limits are per account
    sandbox.post_direct(live_url, "acme", "control endpoints are not limited")
    time.sleep(retry_after)
    assert publish(live_url, headers, "3 again").status_code == 200
    assert sandbox.get_stats(live_url)["rate_limited"] == 1


def test_error_rate_one_gives_503(live_url):
    headers = bearer(live_url)
    sandbox.set_faults(live_url, error_rate=1.0)
    answer = publish(live_url, headers)
    assert answer.status_code == 503
    assert answer.json() == {"error": "Service unavailable"}
    assert sandbox.list_live(live_url, "acme") == []
    sandbox.set_faults(live_url, error_rate=0.0)
    assert publish(live_url, headers).status_code == 200


def test_latency_stores_the_status_before_answering(live_url):
    headers = bearer(live_url)
    sandbox.set_faults(live_url, latency_ms=500)
    result: dict[str, httpx.Response] = {}
    started = time.monotonic()
    worker = threading.Thread(target=lambda: result.update(r=publish(live_url, headers, "slow")))
    worker.start()
    seen = wait_until(
        lambda: sandbox.list_live(live_url, "acme"), 5, "the status to be listed", step=0.02
    )
    assert seen[0]["text"] == "slow"
    assert worker.is_alive(), "the status must be visible while the answer is still delayed"
    worker.join(timeout=5)
    assert time.monotonic() - started >= 0.5
    assert result["r"].json()["id"] == seen[0]["id"]


def test_latency_delays_reads_and_times_out_clients(live_url):
    headers = bearer(live_url)
    sandbox.set_faults(live_url, latency_ms=300)
    started = time.monotonic()
    assert httpx.get(f"{live_url}/api/v1/accounts/verify_credentials", headers=headers).is_success
    assert time.monotonic() - started >= 0.3
    try:
        publish(live_url, headers, "answer lost", timeout=0.1)
    except httpx.ReadTimeout:
        pass
    else:
        raise AssertionError("expected the client to time out")
    assert [p["text"] for p in sandbox.list_live(live_url, "acme")] == ["answer lost"]


def test_subprocess_serve_reads_the_environment(server_process, tmp_path):
    status = sandbox.post_direct(server_process, "acme", "from a subprocess")
    assert status["url"].startswith(server_process)
    assert sandbox.list_live(server_process, "acme")[0]["id"] == status["id"]
    assert (tmp_path / "inst" / "sandbox.db").exists()
