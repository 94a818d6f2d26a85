"""The sandbox's REST API checks a token's scopes as Mastodon's controllers do
(sandbox/scopes.py cites them): one of the listed scopes, a broad one covering its parts,
else 403 with Mastodon's words and no WWW-Authenticate header; no token where none is needed
is still fine, and a bad token is still 401."""

from __future__ import annotations

import io

import pytest

from tests import images

OUTSIDE = {"error": "This action is outside the authorized scopes"}


def _calls(client, headers, account_id: str, status_id: str) -> dict[str, int]:
    """The status of each call the Mastodon connector makes, with these headers."""
    png = (io.BytesIO(images.png()), "a.png")
    return {
        "create": client.post(
            "/api/v1/statuses", json={"status": "hi"}, headers=headers
        ).status_code,
        "show": client.get(f"/api/v1/statuses/{status_id}", headers=headers).status_code,
        "list": client.get(f"/api/v1/accounts/{account_id}/statuses", headers=headers).status_code,
        "me": client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code,
        "lookup": client.get("/api/v1/accounts/lookup?acct=acme", headers=headers).status_code,
        "upload": client.post(
            "/api/v2/media", data={"file": png}, headers=headers, content_type="multipart/form-data"
        ).status_code,
        "delete": client.delete(f"/api/v1/statuses/{status_id}", headers=headers).status_code,
    }


@pytest.mark.parametrize(
    ("scopes", "refused"),
    [
        ("read write", set()),
        ("read", {"create", "upload", "delete"}),
        ("write", {"show", "list", "me", "lookup"}),
        ("profile write:statuses", {"show", "list", "lookup", "upload"}),
        ("read:statuses read:accounts write:statuses write:media", set()),
        ("follow push", {"create", "show", "list", "me", "lookup", "upload", "delete"}),
    ],
)
def test_each_call_needs_the_scopes_mastodon_lists_for_it(client, auth, scopes, refused):
    owner = auth("acme", "read write")
    account_id = client.get("/api/v1/accounts/verify_credentials", headers=owner).json["id"]
    status_id = client.post("/api/v1/statuses", json={"status": "x"}, headers=owner).json["id"]

    answers = _calls(client, auth("acme", scopes), account_id, status_id)

    assert {call for call, status in answers.items() if status == 403} == refused
    assert all(status < 300 for call, status in answers.items() if call not in refused), answers


def test_a_refusal_says_so_in_mastodons_words_without_a_bearer_challenge(client, auth):
    answer = client.post("/api/v1/statuses", json={"status": "hi"}, headers=auth("acme", "read"))

    assert answer.status_code == 403
    assert answer.json == OUTSIDE
    assert "WWW-Authenticate" not in answer.headers


def test_no_token_where_none_is_needed_is_fine_and_a_bad_token_is_still_401(client, auth):
    account_id = client.get(
        "/api/v1/accounts/verify_credentials", headers=auth("acme", "read")
    ).json["id"]

    assert client.get(f"/api/v1/accounts/{account_id}/statuses").status_code == 200
    assert client.post("/api/v1/statuses", json={"status": "hi"}).status_code == 401
    unknown = {"Authorization": "Bearer not-a-token"}
    answer = client.get(f"/api/v1/accounts/{account_id}/statuses", headers=unknown)
    assert answer.status_code == 401 and answer.json != OUTSIDE
