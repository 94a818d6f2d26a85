"""``POST /posts/compose`` warns per post when the platform's posting quota would be
exceeded, as ``POST /posts`` does (it answered ``warnings: []`` whatever the count)."""

from __future__ import annotations

import pytest

from tests.gateway.test_quota_warning import DAY, NOON, _threads_account_with

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def test_each_composed_post_carries_its_own_quota_warning(client, actors, rt):
    ana = actors.person("ana", "author")
    _threads_account_with(rt, client, ana, 250, NOON)
    headers = {**ana.headers, "Accept-Language": "en"}
    composed = [
        client.post(
            "/api/v1/posts/compose",
            json={"accounts": ["thr"], "text": text, "scheduled_at": when.isoformat()},
            headers=headers,
        )
        for text, when in (("One too many", NOON), ("Next day", NOON + DAY))
    ]
    assert all(answer.status_code == 201 for answer in composed), composed[0].get_json()
    [over] = composed[0].get_json()["posts"]
    [warning] = over["warnings"]
    assert warning["rule"] == "quota" and warning["params"]["count"] == 251
    assert warning["message"].startswith("Threads publishes at most 250 posts")
    assert composed[1].get_json()["posts"][0]["warnings"] == []
