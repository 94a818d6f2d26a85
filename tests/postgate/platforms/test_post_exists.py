"""``post_exists``: one read of one status, how a resumed takedown confirms an earlier delete
without spending Mastodon's deletion limit (30 per 30 minutes) on another delete call."""

from __future__ import annotations

import httpx
import pytest

from postgate.platforms.base import MalformedResponseError, RetryableError
from postgate.platforms.registry import connector_for

from .conftest import BASE_URLS, CREDENTIALS, NOW


def mastodon(answer: httpx.Response, seen: list[httpx.Request]):
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    return connector_for(
        "mastodon",
        base_url=BASE_URLS["mastodon"],
        credentials=CREDENTIALS["mastodon"],
        transport=httpx.MockTransport(handle),
        clock=lambda: NOW,
    )


@pytest.mark.parametrize(
    ("answer", "exists"),
    [
        (httpx.Response(200, json={"id": "42", "content": "<p>x</p>"}), True),
        (httpx.Response(404, json={"error": "Record not found"}), False),
    ],
)
def test_a_get_of_the_status_says_whether_it_is_still_there(answer, exists):
    seen: list[httpx.Request] = []
    with mastodon(answer, seen) as connector:
        assert connector.post_exists("42") is exists
    assert [(r.method, r.url.path) for r in seen] == [("GET", "/api/v1/statuses/42")]
    assert seen[0].headers["Authorization"].startswith("Bearer ")


def test_an_answer_about_another_status_or_a_failure_settles_nothing():
    with mastodon(httpx.Response(200, json={"id": "43"}), []) as connector:
        with pytest.raises(MalformedResponseError):
            connector.post_exists("42")
    with mastodon(httpx.Response(503, json={"error": "down"}), []) as connector:
        with pytest.raises(RetryableError):
            connector.post_exists("42")


def test_platforms_that_cannot_ask_say_so():
    with connector_for(
        "bluesky",
        base_url=None,
        credentials=CREDENTIALS["bluesky"],
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        clock=lambda: NOW,
    ) as connector:
        assert connector.post_exists("at://did:plc:x/app.bsky.feed.post/1") is None
