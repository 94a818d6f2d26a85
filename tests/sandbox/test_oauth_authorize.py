"""The sandbox's authorization code flow, as Mastodon (Doorkeeper) runs it: the consent page,
codes used once, for their app and redirect URI only, PKCE S256, scopes and refusals."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qsl, urlsplit

import pytest

CALLBACK = "https://postgate.example/admin/oauth/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


@pytest.fixture
def app_(client):
    answer = client.post(
        "/api/v1/apps",
        data={"client_name": "Postgate", "redirect_uris": CALLBACK, "scopes": "read write"},
    )
    assert answer.status_code == 200
    return answer.json


def authorize_query(app_, **extra):
    return {
        "response_type": "code",
        "client_id": app_["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "read write",
        "state": "st4te",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
        **extra,
    }


def back(answer) -> dict[str, str]:
    assert answer.status_code == 302, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return dict(parse_qsl(urlsplit(location).query))


def grant(client, app_, code, **extra):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": app_["client_id"],
        "client_secret": app_["client_secret"],
        "code_verifier": VERIFIER,
        **extra,
    }
    return client.post("/oauth/token", data=form)


def consent(client, app_, account="acme", decision="authorize", **extra):
    return client.post(
        "/oauth/authorize",
        data={**authorize_query(app_, **extra), "account": account, "decision": decision},
    )


def test_consent_page_offers_the_accounts_and_both_answers(client, app_, auth):
    auth("acme")
    auth("globex")
    page = client.get("/oauth/authorize", query_string=authorize_query(app_))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Postgate" in text and "read write" in text
    assert "<option>acme</option>" in text and "<option>globex</option>" in text
    assert "value='authorize'" in text and "value='deny'" in text


def test_code_for_the_chosen_account_is_traded_once_with_the_verifier(client, app_):
    answered = back(consent(client, app_, account="globex"))
    assert answered["state"] == "st4te"
    token = grant(client, app_, answered["code"])
    assert token.status_code == 200 and token.json["scope"] == "read write"
    me = client.get(
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token.json['access_token']}"},
    )
    assert me.json["username"] == "globex"
    again = grant(client, app_, answered["code"])
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


def test_a_token_holds_the_scopes_its_consent_gave_not_its_apps(client, app_):
    """An app registered with ``read write`` whose authorization asked for ``read`` alone
    gets a token that reads and cannot post, as on Mastodon (the token keeps the grant's
    scopes): a client that forgot to ask for ``write`` would find out here, not in prod."""
    code = back(consent(client, app_, scope="read"))["code"]
    token = grant(client, app_, code)
    assert token.status_code == 200 and token.json["scope"] == "read"
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}

    assert client.get("/api/v1/accounts/verify_credentials", headers=headers).status_code == 200
    posted = client.post("/api/v1/statuses", json={"status": "hi"}, headers=headers)
    assert posted.status_code == 403
    assert posted.json == {"error": "This action is outside the authorized scopes"}


@pytest.mark.parametrize(
    "change",
    [
        {"code_verifier": "x" * 43},  # not the verifier of the challenge
        {"code_verifier": ""},
        {"redirect_uri": "https://evil.example/cb"},
    ],
)
def test_a_code_with_the_wrong_verifier_or_uri_is_refused(client, app_, change):
    code = back(consent(client, app_))["code"]
    refused = grant(client, app_, code, **change)
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


def test_a_code_is_only_for_its_app(client, app_):
    other = client.post(
        "/api/v1/apps", data={"client_name": "Other", "redirect_uris": CALLBACK}
    ).json
    code = back(consent(client, app_))["code"]
    stolen = grant(client, other, code)
    assert stolen.status_code == 400 and stolen.json["error"] == "invalid_grant"


def test_deny_goes_back_with_access_denied(client, app_):
    answered = back(consent(client, app_, decision="deny"))
    assert answered["error"] == "access_denied" and answered["state"] == "st4te"
    assert "code" not in answered


def test_unknown_client_or_unregistered_redirect_is_a_page_not_a_redirect(client, app_):
    unknown = client.get("/oauth/authorize", query_string=authorize_query(app_, client_id="no"))
    assert unknown.status_code == 401 and "Location" not in unknown.headers
    elsewhere = client.get(
        "/oauth/authorize", query_string=authorize_query(app_, redirect_uri="https://evil.example")
    )
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers


def test_scope_response_type_and_plain_pkce_are_refused_back_at_the_client(client, app_):
    assert (
        back(
            client.get("/oauth/authorize", query_string=authorize_query(app_, scope="admin:write"))
        )["error"]
        == "invalid_scope"
    )
    assert (
        back(
            client.get(
                "/oauth/authorize", query_string=authorize_query(app_, response_type="token")
            )
        )["error"]
        == "unsupported_response_type"
    )
    plain = authorize_query(app_, code_challenge=VERIFIER, code_challenge_method="plain")
    assert back(client.get("/oauth/authorize", query_string=plain))["error"] == "invalid_request"


def test_without_pkce_the_code_needs_no_verifier(client, app_):
    answered = back(consent(client, app_, code_challenge="", code_challenge_method=""))
    token = grant(client, app_, answered["code"], code_verifier="")
    assert token.status_code == 200
