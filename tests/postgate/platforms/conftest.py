"""Fixtures: recorded exchanges, a fixed clock, and connectors wired to both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from postgate.platforms.base import Connector, MalformedResponseError
from postgate.platforms.registry import connector_for

from .replay import Replay

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

CREDENTIALS = {
    "mastodon": {"token": "mastodon-token-SECRET-1234"},
    "sandbox": {"token": "mastodon-token-SECRET-1234"},
    "bluesky": {"identifier": "acme.bsky.social", "app_password": "abcd-efgh-SECRET-mnop"},
    "x": {"access_token": "x-oauth2-token-SECRET-5678"},
    "linkedin": {"access_token": "AQV-linkedin-token-SECRET-7777", "organization_id": "2414183"},
    "facebook": {
        "access_token": "EAAG-user-token-SECRET-1111",
        "page_id": "104857600123456",
        "page_access_token": "EAAG-page-token-SECRET-2222",
    },
    "instagram": {
        "access_token": "EAAG-ig-user-token-SECRET-3333",
        "ig_user_id": "17841405822304914",
    },
    "threads": {"access_token": "THQW-threads-token-SECRET-4444", "user_id": "25112233445566778"},
    "webhook": {
        "url": "https://hooks.example/postgate/HOOK-SECRET-path",
        "secret": "whsec-SECRET-9999",
    },
}
BASE_URLS = {"mastodon": "https://mastodon.example", "sandbox": "http://127.0.0.1:8765"}


class Recordings:
    """Loads recordings by file name and remembers them, so a test can see the requests."""

    def __init__(self) -> None:
        self.loaded: list[Replay] = []

    def __call__(self, name: str) -> Replay:
        self.loaded.append(Replay(name))
        return self.loaded[-1]

    @property
    def last(self) -> Replay:
        return self.loaded[-1]


@pytest.fixture
def replay() -> Iterator[Recordings]:
    """Every recording loaded must be fully replayed by the end of the test."""
    recordings = Recordings()
    yield recordings
    for transport in recordings.loaded:
        transport.assert_done()


@pytest.fixture
def connect(replay: Recordings) -> Iterator[Callable[..., Connector]]:
    """``connect(platform, recording, **credentials)``: a connector on that recording."""
    opened: list[Connector] = []

    def build(platform: str, recording: str, **overrides: str) -> Connector:
        connector = connector_for(
            platform,
            base_url=BASE_URLS.get(platform),
            credentials={**CREDENTIALS[platform], **overrides},
            transport=replay(recording),
            clock=lambda: NOW,
        )
        opened.append(connector)
        return connector

    yield build
    for connector in opened:
        connector.close()


def malformed_answers(
    call: Callable[[], object], problems: list[str], *, status: int = 200
) -> list[MalformedResponseError]:
    """Call once per expected problem: each must raise MalformedResponseError (never a
    KeyError or TypeError) whose message ends with that problem; returns the errors."""
    errors = []
    for problem in problems:
        with pytest.raises(MalformedResponseError) as caught:
            call()
        assert caught.value.message.endswith(problem), caught.value.message
        assert caught.value.status == status
        assert "SECRET" not in caught.value.message and "<" not in caught.value.message
        errors.append(caught.value)
    return errors
