"""Apps, tokens and revocation as Doorkeeper does them for Mastodon.

The attack: a takedown that "revokes" a stolen token without the app's client credentials,
gets told no, and the token keeps posting.
"""

from __future__ import annotations

from base64 import b64encode

import pytest

from sandbox.scopes import OUTSIDE_SCOPES

STATUSES = "/api/v1/statuses"
VERIFY = "/api/v1/accounts/verify_credentials"


def register(client, name="Postgate", scopes="read write"):
    form = {"client_name": name, "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    answer = client.post("/api/v1/apps", data={**form, "scopes": scopes} if scopes else form)
    assert answer.status_code == 200, answer.json
    return answer.json


def ask_token(client, app, scope: str | None = "read write", username="acme"):
    form = {
        "grant_type": "password",
        "username": username,
        "password": "anything",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    return client.post("/oauth/token", data={**form, "scope": scope} if scope else form)


def password_token(client, app, username="acme"):
    answer = ask_token(client, app, username=username)
    assert answer.status_code == 200, answer.json
    return answer.json["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_register_an_app(client):
    app = register(client, scopes=None)
    assert app["name"] == "Postgate" and app["client_id"] and app["client_secret"]
    assert app["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob" and app["scopes"] == ["read"]
    assert register(client)["client_id"] != app["client_id"]
    assert client.post("/api/v1/apps", data={"redirect_uris": "x"}).status_code == 422
    assert client.post("/api/v1/apps", data={"client_name": "x"}).status_code == 422


def test_token_needs_the_apps_credentials(client):
    client.post("/sandbox/accounts/acme/tokens")  # the account exists
    app = register(client)
    token = password_token(client, app)
    assert client.get(VERIFY, headers=bearer(token)).json["acct"] == "acme"
    wrong = {**app, "client_secret": "guess"}
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "acme",
            "client_id": wrong["client_id"],
            "client_secret": wrong["client_secret"],
        },
    )
    assert answer.status_code == 401 and answer.json["error"] == "invalid_client"
    odd = client.post(
        "/oauth/token",
        data={
            "grant_type": "magic",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert odd.status_code == 400 and odd.json["error"] == "unsupported_grant_type"


def test_revoke_without_the_client_credentials_is_refused_and_the_token_lives_on(client):
    issued = client.post("/sandbox/accounts/acme/tokens").json
    token = issued["access_token"]
    refused = client.post("/oauth/revoke", data={"token": token})
    assert refused.status_code == 403
    assert refused.json == {
        "error": "unauthorized_client",
        "error_description": "You are not authorized to revoke this token",
    }
    assert (
        client.post(STATUSES, data={"status": "still here"}, headers=bearer(token)).status_code
        == 200
    )
    guessed = client.post(
        "/oauth/revoke",
        data={"token": token, "client_id": issued["client_id"], "client_secret": "x"},
    )
    assert guessed.status_code == 403
    other = register(client, "Another app")
    foreign = client.post(
        "/oauth/revoke",
        data={
            "token": token,
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
        },
    )
    assert foreign.status_code == 403
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200


def test_revoke_with_the_apps_credentials_kills_the_token(client):
    issued = client.post("/sandbox/accounts/acme/tokens").json
    token = issued["access_token"]
    basic = (issued["client_id"], issued["client_secret"])
    header = {"Authorization": "Basic " + b64encode(":".join(basic).encode()).decode()}
    assert client.post("/oauth/revoke", data={"token": token}, headers=header).json == {}
    answer = client.get(VERIFY, headers=bearer(token))
    assert (answer.status_code, answer.json) == (401, {"error": "The access token was revoked"})


def test_unknown_tokens_answer_200_as_rfc_7009_says(client):
    assert client.post("/oauth/revoke", data={"token": "never-issued"}).json == {}


def test_a_lenient_server_revokes_without_client_credentials(client):
    client.put("/sandbox/realism", json={"revoke_requires_client": False})
    token = client.post("/sandbox/accounts/acme/tokens").json["access_token"]
    assert client.post("/oauth/revoke", data={"token": token}).status_code == 200
    assert client.get(VERIFY, headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("registered", "asked", "granted"),
    [
        ("read write", "read", "read"),  # fewer than the app's: only those
        ("read write", None, "read"),  # none asked: Mastodon's default scope
        ("write", None, ""),  # none asked, and the app has no read: nothing
        ("read write", "write:statuses", "write:statuses"),  # a part of a broad one
    ],
)
def test_a_token_holds_the_scopes_it_was_granted_not_its_apps(client, registered, asked, granted):
    """The attack on our assumptions: a sandbox that let a token do whatever its app may
    would let a connector that forgot to ask for ``write`` pass here and fail on Mastodon."""
    client.post("/sandbox/accounts/acme/tokens")  # the account exists
    answer = ask_token(client, register(client, scopes=registered), asked)
    assert answer.status_code == 200 and answer.json["scope"] == granted
    headers = bearer(answer.json["access_token"])

    posted = client.post(STATUSES, json={"status": "hi"}, headers=headers)
    me = client.get(VERIFY, headers=headers)

    assert (posted.status_code == 200) == ("write" in granted)
    assert (me.status_code == 200) == ("read" in granted.split())
    if posted.status_code != 200:
        assert posted.status_code == 403 and posted.json == {"error": OUTSIDE_SCOPES}


def test_a_scope_the_app_was_not_registered_with_is_invalid_scope(client):
    client.post("/sandbox/accounts/acme/tokens")
    answer = ask_token(client, register(client, scopes="read"), "read write")
    assert answer.status_code == 400
    assert answer.json == {
        "error": "invalid_scope",
        "error_description": "The requested scope is invalid, unknown, or malformed.",
    }
