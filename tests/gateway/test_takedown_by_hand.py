"""The takedown preview says which posts Postgate can delete and which the lead must delete
by hand, with their links, from the platforms' capabilities in the registry: Threads cannot
revoke a token, Facebook does not list unpublished posts, and a platform whose API cannot
delete (here Instagram's entry as it was before Meta's December 2025 delete endpoint, swapped
into the registry) has its posts marked "delete by hand". The platforms are stood in for by a
local server answering their recorded exchanges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postgate.services.takedown_manual import capabilities_of
from tests.helpers import make_account
from tests.stand_in import StandIn, env_reaching, stand_in, without_delete

SINCE = "2024-04-15T00:00:00+00:00"


@pytest.fixture
def graph() -> Iterator[StandIn]:
    with stand_in("instagram_list.json", "threads_list.json") as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, database_url: str, redis_url: str, redis, graph: StandIn) -> dict:
    return env_reaching(tmp_path, database_url, redis_url, graph.url)


@pytest.fixture
def no_delete(monkeypatch) -> None:
    """Instagram as a platform whose API cannot delete posts."""
    without_delete(monkeypatch, "instagram")


@pytest.fixture
def accounts(rt, graph: StandIn, no_delete: None) -> None:
    make_account(
        rt,
        "insta",
        platform="instagram",
        base_url=f"{graph.url}/v25.0",
        credentials={"access_token": "ig-token", "ig_user_id": "17841405822304914"},
    )
    make_account(
        rt,
        "thr",
        platform="threads",
        base_url=f"{graph.url}/v1.0",
        credentials={"access_token": "th-token", "user_id": "25112233445566778"},
    )


def test_the_api_preview_marks_what_only_the_lead_can_delete(client, actors, accounts):
    lead = actors.person("sam", "security")
    answer = client.post(
        "/api/v1/takedowns/preview",
        json={"since": SINCE, "accounts": ["insta", "thr"]},
        headers=lead.headers,
    )

    assert answer.status_code == 200, answer.get_json()
    preview = answer.get_json()
    by_account = {a["name"]: a for a in preview["accounts"]}
    assert by_account["insta"] | {"listed": 0} == {
        "name": "insta",
        "listed": 0,
        "reason": "",
        "platform": "instagram",
        "deletes": False,
        "lists_non_public": True,
        "revokes": True,
    }
    assert (by_account["thr"]["deletes"], by_account["thr"]["revokes"]) == (True, False)
    doomed = {i["remote_id"]: i for i in preview["items"] if i["action"] == "delete"}
    insta = [i for i in doomed.values() if i["account"] == "insta"]
    assert len(insta) == 2 and all(i["by_hand"] for i in insta)  # the April 1st one is older
    assert {i["url"] for i in insta} == {
        "https://www.instagram.com/p/C6abc6/",
        "https://www.instagram.com/p/C6abc5/",
    }
    threads = [i for i in doomed.values() if i["account"] == "thr"]
    assert threads and not any(i["by_hand"] for i in threads)


def test_the_console_preview_says_it_in_words_and_links(web, actors, accounts):
    web.login(actors.create("sam", "security"))
    form = {"accounts": ["insta", "thr"], "since": "2024-04-15T00:00", "clock": "UTC"}
    page = web.submit("/security/takedowns/preview", form, page="/security")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("delete by hand") == 2 or html.count("supprimer à la main") == 2
    assert 'href="https://www.instagram.com/p/C6abc6/"' in html
    assert 'data-account="insta"' in html and 'data-account="thr"' in html


@pytest.mark.parametrize(
    ("platform", "deletes", "lists_non_public", "revokes"),
    [
        ("instagram", True, True, True),  # with Facebook Login's instagram_manage_contents
        ("threads", True, True, False),
        ("facebook", True, False, True),
        ("linkedin", True, True, True),
        ("myspace", False, False, False),
    ],
)
def test_capabilities_come_from_the_registry(platform, deletes, lists_non_public, revokes):
    can = capabilities_of(platform)
    assert (can.delete, can.list_non_public, can.revoke) == (deletes, lists_non_public, revokes)
