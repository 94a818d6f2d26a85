"""The sandbox notes when each platform call arrived, refused ones included (issue 11)."""

from __future__ import annotations

import time

from sandbox.faults import RateLimit


def test_every_platform_call_is_noted_on_arrival_with_its_account_and_key(client, auth, app):
    headers = auth("acme") | {"Idempotency-Key": "postgate-1-r1"}
    before = time.time()
    assert (
        client.post("/api/v1/statuses", json={"status": "hello"}, headers=headers).status_code
        == 200
    )
    client.get("/api/v1/accounts/verify_credentials", headers=auth("other"))
    client.get("/sandbox/stats")  # control endpoints are not platform calls
    noted = client.get("/sandbox/arrivals?account=acme").get_json()["arrivals"]
    assert [(a["method"], a["path"], a["idempotency_key"], a["status"]) for a in noted] == [
        ("POST", "/api/v1/statuses", "postgate-1-r1", 200)
    ]
    assert before <= noted[0]["at"] <= time.time()
    assert len(client.get("/sandbox/arrivals").get_json()["arrivals"]) == 2
    assert client.delete("/sandbox/arrivals").status_code == 200
    assert client.get("/sandbox/arrivals").get_json()["arrivals"] == []


def test_a_call_refused_by_the_rate_limit_still_arrived(client, auth, app):
    from sandbox.faults import Faults
    from sandbox.state import EXTENSION

    app.extensions[EXTENSION].set_faults(Faults(rate_limit=RateLimit(1, 60)))
    headers = auth("acme")
    statuses = [
        client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code
        for _ in range(2)
    ]
    assert statuses == [200, 429]
    noted = client.get("/sandbox/arrivals?account=acme").get_json()["arrivals"]
    assert [a["status"] for a in noted] == [200, 429]
