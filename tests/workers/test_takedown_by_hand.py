"""A takedown on a platform whose API cannot delete (Instagram) tells the truth: the posts
stay listed as failed with what to do by hand, the app's access is revoked and checked, and
the takedown ends ``done_with_gaps``. Instagram is stood in for by a local server answering
its recorded exchanges (tests/postgate/platforms/recordings)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_env
from tests.helpers import make_account
from tests.stand_in import StandIn, stand_in


@pytest.fixture
def graph() -> Iterator[StandIn]:
    listings = ["instagram_list.json"] * 4  # discovery, sweep, verification, to spare
    checks = ["instagram_verify.json", "instagram_revoke.json", "instagram_verify_revoked.json"]
    with stand_in(*listings, *checks) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, database_url: str, redis_url: str, redis, graph: StandIn) -> dict:
    config = tmp_path / "postgate.toml"
    config.write_text(
        f'[rules]\nrules = "{ROOT / "config" / "rules.toml"}"\n'
        f'[security]\nallow_private_urls = ["{graph.url}"]\n',
        encoding="utf-8",
    )
    return make_env(tmp_path, database_url, redis_url, POSTGATE_CONFIG=str(config))


def test_instagram_posts_are_left_to_the_lead_and_the_access_revoked(rt, client, actors, graph):
    from workers import takedown

    make_account(
        rt,
        "insta",
        platform="instagram",
        base_url=f"{graph.url}/v25.0",
        credentials={"access_token": "ig-token", "ig_user_id": "17841405822304914"},
    )
    lead = actors.person("sam", "security")
    started = client.post(
        "/api/v1/takedowns",
        json={"since": "2024-04-15T00:00:00+00:00", "accounts": ["insta"]},
        headers=lead.headers,
    )
    assert started.status_code == 202, started.get_json()
    takedown.execute(rt, started.get_json()["id"])

    body = client.get(f"/api/v1/takedowns/{started.get_json()['id']}", headers=lead.headers)
    shown = body.get_json()
    assert shown["status"] == "done_with_gaps"
    assert {i["remote_id"] for i in shown["items"]} == {"17920238422030506", "17920238422030505"}
    for item in shown["items"]:
        assert item["outcome"] in ("failed", "still_live"), item
        assert "delete it by hand" in item["reason"], item
    assert shown["accounts"][0]["credentials_revoked"] is True, shown["accounts"]
    assert ("DELETE", "/v25.0/me/permissions") in graph.requests
    assert not any(
        method == "DELETE" and "1792023842203050" in path for method, path in graph.requests
    )
