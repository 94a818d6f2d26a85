"""``GET /api/v1/me`` says which clock the person's times are shown on."""

from __future__ import annotations

import pytest

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def test_me_carries_the_chosen_zone_and_the_one_times_are_shown_in(client, actors):
    rita = actors.person("rita", "reviewer")
    before = client.get("/api/v1/me", headers=rita.headers).get_json()
    assert (before["timezone"], before["shown_in"]) == (None, "UTC")
    client.put("/api/v1/me/timezone", json={"timezone": "Asia/Tokyo"}, headers=rita.headers)
    after = client.get("/api/v1/me", headers=rita.headers).get_json()
    assert (after["timezone"], after["shown_in"]) == ("Asia/Tokyo", "Asia/Tokyo")
