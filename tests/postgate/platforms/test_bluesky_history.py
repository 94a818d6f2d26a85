"""Bluesky: which records are in a takedown's window is what the PDS vouches for.

Recorded exchanges (each names its documentation page in ``doc``): an account of 153
records listed over two pages, of which three are the attacker's, posted after the window
opened: one with a back-dated ``createdAt``, one with a back-dated ``createdAt`` and a
crafted record key that sorts among the oldest; then the repository's head
(``getLatestCommit``) and its diff since the window (``getRepo`` with ``since``, a CAR file).
"""

from __future__ import annotations

import pytest

from postgate.platforms.base import PermanentError
from postgate.services.takedown_scope import Scope, decide
from tests.workers.test_takedown_bluesky import SINCE


def in_scope(connector) -> set[str]:
    listed = connector.list_recent(since=None, limit=None)
    assert len(listed) == 153
    written = connector.written_since(SINCE, listed)
    return {
        p.text
        for p in listed
        if decide(p, None, None, SINCE, Scope(), written=p.remote_id in written).touch
    }


def test_back_dated_records_are_in_the_window_by_the_commit_history(connect):
    connector = connect("bluesky", "bluesky_history.json")
    assert in_scope(connector) == {"SCAM backdated", "SCAM crafted key", "SCAM plain"}


def test_dates_alone_would_miss_the_crafted_key(connect):
    """What decided it: by dates only, the record key's time gives one away, not the other."""
    connector = connect("bluesky", "bluesky_history.json")
    listed = connector.list_recent(since=None, limit=None)
    by_dates = {p.text for p in listed if decide(p, None, None, SINCE, Scope()).touch}
    assert by_dates == {"SCAM backdated", "SCAM plain"}
    assert len(connector.written_since(SINCE, listed)) == 3


def test_a_diff_without_the_head_commit_is_not_trusted(connect):
    connector = connect("bluesky", "bluesky_history_lacks_head.json")
    listed = connector.list_recent(since=None, limit=None)
    with pytest.raises(PermanentError, match="cannot be trusted"):
        connector.written_since(SINCE, listed)


def test_the_app_password_is_not_revoked_and_still_logs_in(connect):
    """``deleteSession`` ends a session only: revoking says so (False), and logging in again
    with the app password works, which the takedown reads as not revoked."""
    connector = connect("bluesky", "bluesky_revoke_app_password_lives.json")
    assert connector.revoke_credentials() is False
    assert connector.verify_credentials().handle == "acme.bsky.social"
