"""A takedown revokes X's refresh token too: revoking the access token alone (RFC 7009 lets
a server keep the grant's other tokens) leaves a refresh token that mints new access tokens
for whoever holds it."""

from __future__ import annotations


def test_revoke_also_revokes_the_refresh_token_when_one_is_held(connect, replay):
    connector = connect(
        "x",
        "x_revoke_with_refresh.json",
        client_id="x-client-id",
        client_secret="x-client-SECRET",
        refresh_token="x-refresh-SECRET-0909",
    )

    assert connector.revoke_credentials() is True
    hints = [request.content.decode() for request in replay.last.requests]
    assert len(hints) == 2 and "token_type_hint=refresh_token" in hints[1]


def test_without_a_refresh_token_only_the_access_token_is_revoked(connect, replay):
    connector = connect(
        "x", "x_revoke_confidential.json", client_id="x-client-id", client_secret="x-client-SECRET"
    )

    assert connector.revoke_credentials() is True
    assert len(replay.last.requests) == 1
