"""The Mastodon connector's calls for the watch, on recordings shaped after Mastodon's
documentation: the user stream (server-sent events) and the profile."""

from __future__ import annotations

import pytest

from postgate.platforms.base import CredentialsError, Profile, RetryableError
from postgate.platforms.mastodon import server_sent_events


def test_the_user_stream_yields_the_accounts_own_events_then_says_it_ended(connect):
    connector = connect("mastodon", "mastodon_stream_user.json")
    seen = []
    with pytest.raises(RetryableError, match="the stream ended"):
        with connector.open_stream() as events:
            for event in events:
                seen.append(event)
    kinds = [e.kind for e in seen]
    # ":)" and ":thump" comments; a friend's post, a notification, filters_changed: left out
    assert kinds == ["heartbeat", "heartbeat", "post", "edit", "delete", "heartbeat"]
    post, edit, delete = seen[2], seen[3], seen[4]
    assert (post.post.remote_id, post.post.text, post.post.visibility) == (
        "111",
        "Buy crypto",
        "direct",
    )
    assert edit.post.edited_at is not None and edit.post.text == "Edited"
    assert delete.remote_id == "108"


def test_a_refused_stream_is_a_credentials_error(connect):
    connector = connect("mastodon", "mastodon_stream_401.json")
    with pytest.raises(CredentialsError):
        with connector.open_stream():
            pass


def test_the_profile_reads_the_source_as_typed(connect):
    profile = connect("mastodon", "mastodon_profile.json").profile()
    assert profile == Profile(
        display_name="Acme Corp",
        note="Official account",
        avatar="https://files.mastodon.example/accounts/avatars/000/000/109/original/a1b2.png",
        header="https://files.mastodon.example/accounts/headers/000/000/109/original/c3d4.png",
        fields=(("Web", "https://acme.example"),),
    )


def test_server_sent_events_follow_the_html_standard():
    lines = ["event: update", "data: a", "data:b", "", ": comment", "data: x", "", "event: y", ""]
    assert list(server_sent_events(lines)) == [
        ("update", "a\nb"),
        ("heartbeat", ""),
        ("message", "x"),
    ]


def test_platforms_without_a_stream_say_so(connect):
    from postgate.platforms.base import PermanentError

    connector = connect("x", "x_verify.json")
    with pytest.raises(PermanentError, match="no streaming"):
        connector.open_stream()
    assert connector.profile() is None
    connector.verify_credentials()  # the recording's one exchange
