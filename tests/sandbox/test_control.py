"""Sandbox-only control endpoints, fault settings and counters (test client)."""

from __future__ import annotations

import pytest


def test_token_creates_the_account_once(client):
    first = client.post("/sandbox/accounts/news-desk/tokens")
    second = client.post("/sandbox/accounts/news-desk/tokens")
    assert first.status_code == second.status_code == 201
    assert first.json["account_id"] == second.json["account_id"]
    assert first.json["access_token"] != second.json["access_token"]


def test_direct_post_and_live_list(client, auth):
    answer = client.post("/sandbox/accounts/acme/statuses", json={"text": "pwned"})
    assert answer.status_code == 201
    assert answer.json["content"] == "<p>pwned</p>"
    headers = auth("acme")
    gated = client.post("/api/v1/statuses", data={"status": "gated"}, headers=headers).json
    live = client.get("/sandbox/accounts/acme/statuses").json
    assert [item["text"] for item in live] == ["gated", "pwned"]
    assert set(live[0]) == {"id", "text", "created_at", "visibility", "edited_at"}
    client.delete(f"/api/v1/statuses/{gated['id']}", headers=headers)
    assert [item["id"] for item in client.get("/sandbox/accounts/acme/statuses").json] == [
        answer.json["id"]
    ]


def test_direct_post_validates_text(client):
    answer = client.post("/sandbox/accounts/acme/statuses", json={"text": ""})
    assert answer.status_code == 422
    assert client.post("/sandbox/accounts/acme/statuses", json=["x"]).status_code == 400


def test_unknown_account_lists_empty(client):
    answer = client.get("/sandbox/accounts/ghost/statuses")
    assert (answer.status_code, answer.json) == (200, [])


def test_account_json_has_numeric_id(client):
    account = client.get("/sandbox/accounts/acme").json
    assert account["id"].isdigit()
    assert account["username"] == "acme"


def test_bad_account_name_is_422(client):
    assert client.post("/sandbox/accounts/bad name!/tokens").status_code == 422


def test_faults_read_and_partial_update(client):
    calm = {"delete_hold_ms": 0, "unlisted_ids": []}
    assert client.get("/sandbox/faults").json == {
        "latency_ms": 0,
        "rate_limit": None,
        "error_rate": 0.0,
        **calm,
    }
    changed = client.put("/sandbox/faults", json={"rate_limit": "5/2", "latency_ms": 10})
    assert changed.json == {"latency_ms": 10, "rate_limit": "5/2", "error_rate": 0.0, **calm}
    changed = client.put("/sandbox/faults", json={"rate_limit": None})
    assert changed.json["rate_limit"] is None and changed.json["latency_ms"] == 10


@pytest.mark.parametrize(
    "body",
    [
        {"rate_limit": "abc"},
        {"rate_limit": "0/10"},
        {"rate_limit": 5},
        {"error_rate": 2},
        {"error_rate": "x"},
        {"latency_ms": -1},
        {"latency_ms": True},
        {"delete_hold_ms": -5},
        {"unlisted_ids": "12"},
        {"unlisted_ids": [12]},
        {"unlisted_ids": ["x"]},
        {"colour": "red"},
    ],
)
def test_bad_faults_are_422_and_change_nothing(client, body):
    answer = client.put("/sandbox/faults", json=body)
    assert answer.status_code == 422
    assert answer.json["error"]
    assert client.get("/sandbox/faults").json["error_rate"] == 0.0


def test_stats_count_api_traffic(client, auth):
    headers = auth("acme")
    status_id = client.post("/api/v1/statuses", data={"status": "a"}, headers=headers).json["id"]
    client.delete(f"/api/v1/statuses/{status_id}", headers=headers)
    client.post("/sandbox/accounts/acme/statuses", json={"text": "direct"})
    stats = client.get("/sandbox/stats").json
    assert stats == {
        "requests": 2,
        "creates": 1,
        "deletes": 1,
        "direct_posts": 1,
        "rate_limited": 0,
        "errors_5xx": 0,
        "media_uploads": 0,
    }
    assert client.delete("/sandbox/stats").json["requests"] == 0


def test_error_rate_one_gives_503_only_on_api(client, auth):
    headers = auth("acme")
    client.put("/sandbox/faults", json={"error_rate": 1.0})
    answer = client.post("/api/v1/statuses", data={"status": "a"}, headers=headers)
    assert (answer.status_code, answer.json) == (503, {"error": "Service unavailable"})
    assert client.get("/sandbox/accounts/acme/statuses").json == []
    assert client.get("/healthz").status_code == 200
    assert client.get("/sandbox/stats").json["errors_5xx"] == 1


def test_healthz(client):
    assert client.get("/healthz").status_code == 200


def test_a_held_delete_is_carried_out_before_its_late_answer(client, auth):
    """``delete_hold_ms``: the status is gone while its DELETE still waits for its answer."""
    import threading
    import time

    headers = auth("acme")
    status_id = client.post("/api/v1/statuses", data={"status": "a"}, headers=headers).json["id"]
    client.put("/sandbox/faults", json={"delete_hold_ms": 600})
    started = time.monotonic()
    answered: list[float] = []
    thread = threading.Thread(
        target=lambda: answered.append(
            client.delete(f"/api/v1/statuses/{status_id}", headers=headers).status_code
        )
    )
    thread.start()
    time.sleep(0.3)
    assert client.get("/sandbox/accounts/acme/statuses").json == []  # gone already
    assert not answered  # the answer is still held
    thread.join()
    assert answered == [200] and time.monotonic() - started >= 0.6


def test_unlisted_ids_are_left_out_of_the_listing_but_still_served(client, auth):
    headers = auth("acme")
    ids = [
        client.post("/api/v1/statuses", data={"status": t}, headers=headers).json["id"]
        for t in ("a", "b", "c")
    ]
    client.put("/sandbox/faults", json={"unlisted_ids": [ids[1]]})
    account = client.get("/sandbox/accounts/acme").json["id"]
    page = client.get(f"/api/v1/accounts/{account}/statuses", headers=headers)
    assert [s["id"] for s in page.json] == [ids[2], ids[0]]
    assert client.get(f"/api/v1/statuses/{ids[1]}", headers=headers).json["id"] == ids[1]
    assert len(client.get("/sandbox/accounts/acme/statuses").json) == 3  # still live
