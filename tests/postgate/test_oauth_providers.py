"""Each platform's consent flow against a local stand-in of its authorization server
(``tests/oauth_standin.py``, shaped like each platform's documentation): the authorization
URL Postgate builds, the code traded (with PKCE, the client's authentication, Meta's and
Threads' long-lived exchange), the Pages or organisations offered, the credentials that
would be stored, and the refresh. Up to the point where the real platform would answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from postgate.oauth import client
from postgate.oauth.config import OAuthApp, read_endpoints, read_timings
from postgate.oauth.pkce import make_verifier, s256_challenge
from postgate.oauth.providers import PROVIDERS, Pick, Refresh
from postgate.urlguard import UrlPolicy
from tests.oauth_standin import (
    CLIENT_ID,
    CLIENT_SECRET,
    LINKEDIN_ORGS,
    THREADS_USER,
    running_standin,
    standin_settings,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CALLBACK = "https://postgate.example/admin/oauth/callback"
APP = OAuthApp(CLIENT_ID, CLIENT_SECRET)


@pytest.fixture(scope="module")
def standin():
    with running_standin() as state:
        yield state


def provider_at(standin, platform):
    import tomllib

    endpoints = read_endpoints(tomllib.loads(standin_settings(standin.url)))
    return PROVIDERS[platform].with_urls(endpoints[platform])


def exchange(standin):
    return client.Exchange(UrlPolicy((standin.url,)))


def consent(standin, prov, *, pkce: bool):
    """Build the authorization URL, let the stand-in "consent", return the code and
    what the authorize endpoint was asked."""
    verifier = make_verifier() if pkce else None
    url = client.authorization_url(
        prov, None, APP, CALLBACK, "the-state", s256_challenge(verifier) if verifier else None
    )
    answer = httpx.get(url)
    assert answer.status_code == 302
    back = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    assert back["state"] == "the-state"
    return back["code"], verifier, standin.last_authorize()


def test_pkce_is_rfc_7636_s256():
    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    made = make_verifier()
    assert 43 <= len(made) <= 128 and made != make_verifier()


def test_x_code_with_pkce_basic_auth_and_rotating_refresh(standin):
    prov = provider_at(standin, "x")
    assert prov.pkce and prov.refresh == Refresh.GRANT and "offline.access" in prov.scopes
    code, verifier, asked = consent(standin, prov, pkce=True)
    assert asked["code_challenge_method"] == "S256" and asked["client_id"] == CLIENT_ID
    assert asked["scope"] == "tweet.read tweet.write users.read media.write offline.access"
    with exchange(standin) as ex:
        tokens = client.exchange_code(
            ex, prov, None, APP, code=code, redirect_uri=CALLBACK, verifier=verifier, now=NOW
        )
    assert "client_secret" not in standin.token_requests[-1]  # it went in the Basic header
    assert tokens.expires_at == NOW + timedelta(hours=2) and tokens.refresh_token
    assert tokens.access_token not in repr(tokens)
    with exchange(standin) as ex:
        renewed = client.refresh(
            ex,
            prov,
            None,
            APP,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            now=NOW,
        )
        assert renewed.refresh_token != tokens.refresh_token  # rotated
        with pytest.raises(client.GrantRefused) as refused:  # the old one is used up
            client.refresh(
                ex,
                prov,
                None,
                APP,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                now=NOW,
            )
    assert tokens.refresh_token not in refused.value.message


def test_x_code_without_the_verifier_is_refused(standin):
    prov = provider_at(standin, "x")
    code, _verifier, _ = consent(standin, prov, pkce=True)
    with exchange(standin) as ex, pytest.raises(client.GrantRefused):
        client.exchange_code(
            ex, prov, None, APP, code=code, redirect_uri=CALLBACK, verifier=None, now=NOW
        )


def test_a_token_endpoint_that_is_down_is_not_a_refusal(standin):
    prov = provider_at(standin, "x")
    standin.down = True
    try:
        with exchange(standin) as ex, pytest.raises(client.ServerUnavailable):
            client.refresh(ex, prov, None, APP, access_token="a", refresh_token="r", now=NOW)
    finally:
        standin.down = False


def test_linkedin_organisation_is_picked_after_consent(standin):
    prov = provider_at(standin, "linkedin")
    assert prov.pick == Pick.ORGANIZATION and not prov.pkce
    code, _, asked = consent(standin, prov, pkce=False)
    assert asked["scope"] == "w_organization_social r_organization_social rw_organization_admin"
    with exchange(standin) as ex:
        tokens = client.exchange_code(
            ex, prov, None, APP, code=code, redirect_uri=CALLBACK, verifier=None, now=NOW
        )
        offered = client.choices(ex, prov, tokens.access_token)
    assert standin.token_requests[-1]["client_secret"] == CLIENT_SECRET  # in the form
    assert tokens.expires_at == NOW + timedelta(days=60) and tokens.refresh_token
    assert {(c.id, c.name) for c in offered} == set(LINKEDIN_ORGS.items())
    from postgate.services.oauth_connect import credentials_for

    creds = credentials_for(prov, APP, tokens, offered[0])
    assert creds == {  # the fields docs/platforms.md gives for LinkedIn
        "access_token": tokens.access_token,
        "organization_id": offered[0].id,
        "refresh_token": tokens.refresh_token,
        "expires_at": (NOW + timedelta(days=60)).isoformat(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


@pytest.mark.parametrize(
    ("platform", "target"), [("facebook", "101"), ("instagram", "17841400000000001")]
)
def test_meta_page_token_after_long_lived_exchange(standin, platform, target):
    prov = provider_at(standin, platform)
    code, _, asked = consent(standin, prov, pkce=False)
    assert "," in asked["scope"] and asked["scope"].startswith(prov.scopes[0])
    with exchange(standin) as ex:
        tokens = client.exchange_code(
            ex, prov, None, APP, code=code, redirect_uri=CALLBACK, verifier=None, now=NOW
        )
        offered = client.choices(ex, prov, tokens.access_token)
    assert tokens.access_token.startswith("fl-")  # the long-lived one, not the 90-minute one
    grants = [r.get("grant_type") for r in standin.token_requests[-2:]]
    assert grants == [None, "fb_exchange_token"]
    chosen = next(c for c in offered if c.id == target)
    assert chosen.token and chosen.token not in repr(chosen)
    if platform == "instagram":  # only Pages with a linked professional account
        assert [c.id for c in offered] == [target] and "@acme.ig" in chosen.name
    from postgate.services.oauth_connect import credentials_for

    creds = credentials_for(prov, APP, tokens, chosen)
    if platform == "facebook":  # the user token verifies; the Page's own token posts, for good
        assert creds == {
            "access_token": tokens.access_token,
            "page_id": target,
            "page_access_token": chosen.token,
        }
    else:  # the user token, which ends in 60 days
        assert creds == {
            "access_token": tokens.access_token,
            "ig_user_id": target,
            "expires_at": (NOW + timedelta(seconds=5183944)).isoformat(),
        }


def test_threads_long_lived_token_refreshes_itself(standin):
    prov = provider_at(standin, "threads")
    assert prov.refresh == Refresh.SELF and prov.pick == Pick.NONE
    code, _, asked = consent(standin, prov, pkce=False)
    assert asked["scope"] == "threads_basic,threads_content_publish,threads_delete"
    with exchange(standin) as ex:
        tokens = client.exchange_code(
            ex, prov, None, APP, code=code, redirect_uri=CALLBACK, verifier=None, now=NOW
        )
        renewed = client.refresh(
            ex, prov, None, None, access_token=tokens.access_token, refresh_token=None, now=NOW
        )
    assert tokens.user_id == THREADS_USER and tokens.access_token.startswith("tl-")
    assert tokens.expires_at is not None and tokens.expires_at > NOW + timedelta(days=59)
    assert renewed.access_token != tokens.access_token
    from postgate.services.oauth_connect import credentials_for

    creds = credentials_for(prov, APP, tokens, None)
    assert creds == {
        "access_token": tokens.access_token,
        "user_id": THREADS_USER,
        "expires_at": tokens.expires_at.isoformat(),
    }


def test_endpoint_overrides_must_be_urls():
    from postgate.errors import SettingsError

    with pytest.raises(SettingsError, match=r"oauth\.x\.token_url"):
        read_endpoints({"oauth": {"x": {"token_url": "ftp://nope"}}})
    with pytest.raises(SettingsError, match="refresh_check_seconds"):
        read_timings({"oauth": {"refresh_check_seconds": 0}})
    assert read_timings({"oauth": {"state_seconds": 60}}) == {"oauth_state_seconds": 60}
