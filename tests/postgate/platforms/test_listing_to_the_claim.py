"""A read-back lists until before its claim (``limit=None``, tested against the sandbox in
tests/workers/test_publish_readback.py), so a server that pages in a loop must not keep it
listing forever: the listing is refused (and the read-back says it cannot settle)."""

from __future__ import annotations

import pytest

from postgate.platforms.base import MalformedResponseError


def test_a_next_link_that_repeats_refuses_the_listing(connect):
    connector = connect("mastodon", "mastodon_list_loop.json")
    with pytest.raises(MalformedResponseError, match="with a next page it already gave"):
        connector.list_recent(since=None, limit=None)
