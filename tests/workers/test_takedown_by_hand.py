"""A takedown on Instagram deletes and checks as on any platform, and on a platform whose API
cannot delete (Instagram's entry as it was before Meta's December 2025 delete endpoint,
swapped into the registry) it never calls the platform for a delete: each post stays, marked
to delete by hand, the access is still revoked and checked, and the takedown ends
``done_with_gaps``. Instagram is stood in for by a local server answering its recorded
exchanges (tests/postgate/platforms/recordings)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postgate.services.takedown_manual import DELETE_BY_HAND
from tests.helpers import make_account
from tests.stand_in import StandIn, env_reaching, stand_in, without_delete

pytestmark = pytest.mark.platform_protocol

IDS = {"17920238422030506", "17920238422030505"}  # the two posts since April 15th
REVOKE = ["instagram_revoke.json", "instagram_verify_revoked.json"]  # revoked, then dead


@pytest.fixture
def graph(request) -> Iterator[StandIn]:
    with stand_in(*request.param, *REVOKE) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, database_url: str, redis_url: str, redis, graph: StandIn) -> dict:
    return env_reaching(tmp_path, database_url, redis_url, graph.url)


def _take_down(rt, client, actors, graph: StandIn) -> dict:
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
    shown = client.get(f"/api/v1/takedowns/{started.get_json()['id']}", headers=lead.headers)
    return shown.get_json()


@pytest.mark.parametrize(
    "graph",
    [
        [
            "instagram_list.json",
            "instagram_takedown_deletes.json",
            *["instagram_list_after_delete.json"] * 3,  # the sweep, the check, to spare
            "instagram_verify_after_delete.json",  # it counts what it lists: nothing hidden
        ]
    ],
    indirect=True,
)
def test_instagram_posts_are_deleted_checked_gone_and_the_access_revoked(rt, client, actors, graph):
    shown = _take_down(rt, client, actors, graph)

    assert shown["status"] == "done", shown
    assert {i["remote_id"]: i["outcome"] for i in shown["items"]} == dict.fromkeys(IDS, "deleted")
    assert shown["accounts"][0]["credentials_revoked"] is True
    deleted = {path.rsplit("/", 1)[-1] for method, path in graph.requests if method == "DELETE"}
    assert deleted == {*IDS, "permissions"}


@pytest.mark.parametrize(
    "graph", [[*["instagram_list.json"] * 4, "instagram_verify.json"]], indirect=True
)
def test_posts_a_platform_cannot_delete_are_left_to_the_lead(
    rt, client, actors, graph, monkeypatch
):
    without_delete(monkeypatch, "instagram")

    shown = _take_down(rt, client, actors, graph)

    assert shown["status"] == "done_with_gaps"
    assert {i["remote_id"] for i in shown["items"]} == IDS
    for item in shown["items"]:
        assert item["outcome"] in ("failed", "still_live") and DELETE_BY_HAND in item["reason"]
    assert shown["accounts"][0]["credentials_revoked"] is True, shown["accounts"]
    assert [path for method, path in graph.requests if method == "DELETE"] == [
        "/v25.0/me/permissions"
    ]
