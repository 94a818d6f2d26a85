"""``GET /api/v2/instance``: the limits a Mastodon-API server states (recorded exchanges shaped
like https://docs.joinmastodon.org/methods/instance/#v2 and the Instance entity)."""

from __future__ import annotations

import pytest

from postgate.platforms.base import MalformedResponseError
from postgate.platforms.registry import connector_for

from .conftest import CREDENTIALS


def test_the_server_states_its_limits(connect):
    limits = connect("mastodon", "mastodon_instance.json").server_limits()
    assert limits == {"max_length": 1000, "max_media": 4, "url_length": 23}


def test_mistyped_values_are_left_out_and_a_malformed_answer_is_refused(connect):
    connector = connect("mastodon", "mastodon_instance_malformed.json")
    assert connector.server_limits() == {"url_length": 30}
    with pytest.raises(MalformedResponseError, match="instead of a configuration"):
        connector.server_limits()
    with pytest.raises(MalformedResponseError, match="not JSON"):
        connector.server_limits()


@pytest.mark.parametrize("platform", ["x", "bluesky", "webhook"])
def test_other_platforms_state_nothing_and_ask_nothing(platform):
    connector = connector_for(platform, base_url=None, credentials=CREDENTIALS[platform])
    with connector:  # the base class answers without a request
        assert connector.server_limits() is None
