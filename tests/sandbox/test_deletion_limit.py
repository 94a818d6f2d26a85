"""Mastodon's deletion limit (rack_attack ``throttle_api_delete``), apart from the general one."""

from __future__ import annotations

STATUSES = "/api/v1/statuses"


def statuses(client, headers, count):
    return [
        client.post(STATUSES, data={"status": f"spam {n}"}, headers=headers).json["id"]
        for n in range(count)
    ]


def test_deletions_beyond_the_limit_are_refused_with_the_limits_headers(client, auth):
    client.put("/sandbox/realism", json={"deletion_limit": "3/600"})
    owner = auth("acme")
    ids = statuses(client, owner, 4)
    remaining = []
    for status_id in ids[:3]:
        answer = client.delete(f"{STATUSES}/{status_id}", headers=owner)
        assert answer.status_code == 200
        assert answer.headers["X-RateLimit-Limit"] == "3"
        remaining.append(answer.headers["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = client.delete(f"{STATUSES}/{ids[3]}", headers=owner)
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"].endswith("Z")
    assert "Retry-After" not in refused.headers  # Mastodon's throttled_responder sends none
    assert client.get(f"{STATUSES}/{ids[3]}").status_code == 200  # still live
    # Only deletions are limited, and only this account's.
    assert client.post(STATUSES, data={"status": "more"}, headers=owner).status_code == 200
    other = auth("other")
    assert (
        client.delete(f"{STATUSES}/{statuses(client, other, 1)[0]}", headers=other).status_code
        == 200
    )


def test_default_is_thirty_per_thirty_minutes(client, auth):
    owner = auth("acme")
    ids = statuses(client, owner, 31)
    answers = [client.delete(f"{STATUSES}/{i}", headers=owner) for i in ids]
    assert [a.status_code for a in answers] == [200] * 30 + [429]
    assert answers[0].headers["X-RateLimit-Limit"] == "30"
    assert answers[0].headers["X-RateLimit-Remaining"] == "29"


def test_headers_report_the_most_limited_of_the_two(client, auth):
    client.put("/sandbox/faults", json={"rate_limit": "100/60"})
    client.put("/sandbox/realism", json={"deletion_limit": "5/60"})
    owner = auth("acme")
    (status_id,) = statuses(client, owner, 1)
    read = client.get(f"{STATUSES}/{status_id}", headers=owner)
    assert read.headers["X-RateLimit-Limit"] == "100"
    deleted = client.delete(f"{STATUSES}/{status_id}", headers=owner)
    assert (deleted.headers["X-RateLimit-Limit"], deleted.headers["X-RateLimit-Remaining"]) == (
        "5",
        "4",
    )


def test_the_limit_can_be_turned_off(client, auth):
    client.put("/sandbox/realism", json={"deletion_limit": None})
    owner = auth("acme")
    ids = statuses(client, owner, 35)
    assert all(client.delete(f"{STATUSES}/{i}", headers=owner).status_code == 200 for i in ids)
