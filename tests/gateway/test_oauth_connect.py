"""Connecting a sandbox (Mastodon-API) account with the platform's consent screen, through
the admin pages and the real sandbox server: the app registered on the server, the state
bound to the admin's session and used once, PKCE, and every refusal a clear 4xx page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from postgate.services.credentials import account_credentials
from postgate.store.models import Account, AuditEntry, AuthToken, OAuthFlow
from sandbox import client as sandbox_client
from sandbox.server import running_sandbox
from tests.helpers import WebActions
from tests.oauth_flow import consent, continue_link

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def sandbox_url(tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


@pytest.fixture
def admin(actors):
    return actors.create("ada", "admin")


@pytest.fixture
def signed_in(web, admin):
    web.login(admin)
    return web


def start(web: WebActions, sandbox_url: str, name: str = "brand", **extra: str):
    """Press Connect on the accounts page; the answer is the redirect to the platform."""
    form = {
        "oauth-name": name,
        "oauth-platform": "sandbox",
        "oauth-base_url": sandbox_url,
        "oauth-timezone": "Europe/Paris",
        "oauth-approvals": "1",
        **extra,
    }
    return web.submit("/admin/accounts/connect", form, page="/admin/accounts")


def connect(web: WebActions, sandbox_url: str, name: str = "brand", account: str = "acme"):
    started = start(web, sandbox_url, name)
    return web.client.get(consent(continue_link(started), account))


def test_admin_connects_a_sandbox_account_with_the_consent_screen(signed_in, rt, sandbox_url):
    started = start(signed_in, sandbox_url)
    authorize = continue_link(started)
    assert urlsplit(sandbox_url).netloc in started.get_data(as_text=True)
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert authorize.startswith(f"{sandbox_url}/oauth/authorize?")
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"] == "read write" and query["response_type"] == "code"
    assert query["redirect_uri"] == "http://localhost/admin/oauth/callback"
    done = signed_in.client.get(consent(authorize, "acme"))
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/accounts/brand")
    page = signed_in.client.get("/admin/accounts/brand").get_data(as_text=True)
    assert "Account brand is connected." in page
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.name == "brand"))
        creds = account_credentials(rt, account)
        assert account.status == "active" and account.handle == "acme"
        assert account.timezone == "Europe/Paris" and account.base_url == sandbox_url
        assert set(creds) == {"token", "client_id", "client_secret"}  # what revoking needs
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "account:connect")).all()
        assert [e.details["phase"] for e in entries] == ["consent", "connected"]
        logged = " ".join(str(e.details) for e in db.scalars(select(AuditEntry)))
        assert all(value not in logged for value in creds.values() if len(value) > 8)
    # The token works on the platform as the account chosen on the consent page.
    answer = httpx.get(
        f"{sandbox_url}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {creds['token']}"},
    )
    assert answer.json()["username"] == "acme"
    # ... and the takedown's revocation, with the app's credentials, ends it.
    revoked = httpx.post(
        f"{sandbox_url}/oauth/revoke",
        data={
            "token": creds["token"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    )
    assert revoked.status_code == 200


def test_a_replayed_callback_is_refused(signed_in, rt, sandbox_url):
    started = start(signed_in, sandbox_url)
    callback = consent(continue_link(started))
    assert signed_in.client.get(callback).status_code == 302
    again = signed_in.client.get(callback)
    assert again.status_code == 409
    assert "used already" in again.get_data(as_text=True)
    with rt.store.session() as db:
        refused = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "account:connect-refused")
        ).all()
        assert refused and refused[-1].result == "refused"


def test_a_state_from_another_session_is_refused(signed_in, admin, rt, sandbox_url):
    started = start(signed_in, sandbox_url)
    callback = consent(continue_link(started))
    other = signed_in.another()
    other.login(admin)  # the same admin, another browser: another session
    answer = other.client.get(callback)
    assert answer.status_code == 403 and "another session" in answer.get_data(as_text=True)
    assert signed_in.client.get(callback).status_code == 409  # and it is used up
    with rt.store.session() as db:
        assert db.scalar(select(Account).where(Account.name == "brand")) is None


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("code=abc", 400, "no state"),
        ("code=abc&state=forged-state-value", 400, "not started here"),
        ("", 400, "no state"),
    ],
)
def test_missing_or_forged_state_is_refused(signed_in, rt, query, status, words):
    answer = signed_in.client.get(f"/admin/oauth/callback?{query}")
    assert answer.status_code == status and words in answer.get_data(as_text=True)
    with rt.store.session() as db:
        assert db.scalars(select(Account)).all() == []


def test_an_expired_state_is_refused(signed_in, rt, sandbox_url):
    started = start(signed_in, sandbox_url)
    callback = consent(continue_link(started))
    with rt.store.transaction() as db:
        db.execute(update(OAuthFlow).values(expires_at=OAuthFlow.created_at))
    answer = signed_in.client.get(callback)
    assert answer.status_code == 409 and "expired" in answer.get_data(as_text=True)


def test_denied_consent_connects_nothing(signed_in, rt, sandbox_url):
    started = start(signed_in, sandbox_url)
    answer = signed_in.client.get(consent(continue_link(started), decision="deny"))
    assert answer.status_code == 400
    assert "access_denied" in answer.get_data(as_text=True)
    with rt.store.session() as db:
        assert db.scalars(select(Account)).all() == []
        flow = db.scalars(select(OAuthFlow)).one()
        assert flow.used_at is not None and flow.finished_at is None


def test_a_code_without_the_pkce_verifier_is_refused_by_the_server(signed_in, rt, sandbox_url):
    """Someone who steals the code cannot use it without the verifier kept by Postgate."""
    started = start(signed_in, sandbox_url)
    callback = consent(continue_link(started))
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    with rt.store.session() as db:
        app = rt.vault.decrypt_json(db.scalars(select(OAuthFlow)).one().secrets_enc)
    stolen = httpx.post(
        f"{sandbox_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost/admin/oauth/callback",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


def test_connecting_needs_the_admin_role_and_a_fresh_code(web, actors, rt, sandbox_url):
    author = actors.create("alice", "author", "reviewer", "security")
    web.login(author)
    assert start(web, sandbox_url).status_code == 403
    assert web.client.get("/admin/oauth/callback?state=x&code=y").status_code == 403
    web.logout()
    admin = actors.create("ada", "admin")
    web.login(admin)
    with rt.store.transaction() as db:
        db.execute(update(AuthToken).values(step_up_at=None))
    refused = start(web, sandbox_url)
    assert refused.status_code == 401 and "code" in refused.get_data(as_text=True).lower()
    with rt.store.session() as db:
        assert db.scalars(select(OAuthFlow)).all() == []
    assert start(web, sandbox_url, **{"oauth-otp": admin.code()}).status_code == 200


def test_bad_input_is_refused_before_the_platform_is_asked(signed_in, rt, sandbox_url):
    assert connect(signed_in, sandbox_url).status_code == 302
    again = start(signed_in, sandbox_url)  # same name
    assert again.status_code == 409 and "exists already" in again.get_data(as_text=True)
    bad = start(signed_in, sandbox_url, "other", **{"oauth-timezone": "Mars/Olympus"})
    assert bad.status_code == 422
    private = start(signed_in, "http://10.1.2.3", "third", **{"oauth-platform": "mastodon"})
    assert private.status_code == 422 and "refused" in private.get_data(as_text=True)
    with rt.store.session() as db:
        assert len(db.scalars(select(OAuthFlow)).all()) == 1


def test_reconnecting_a_disconnected_account(signed_in, rt, sandbox_url):
    assert connect(signed_in, sandbox_url).status_code == 302
    with rt.store.transaction() as db:
        db.execute(update(Account).values(status="disconnected"))
    page = signed_in.client.get("/admin/accounts/brand").get_data(as_text=True)
    assert "Reconnect" in page and "wait" in page
    listing = signed_in.client.get("/admin/accounts").get_data(as_text=True)
    assert "#reconnect" in listing
    with rt.store.session() as db:
        old = account_credentials(rt, db.scalar(select(Account)))["token"]
    started = signed_in.submit("/admin/accounts/brand/reconnect", page="/admin/accounts/brand")
    done = signed_in.client.get(consent(continue_link(started), "acme"))
    assert done.status_code == 302
    with rt.store.session() as db:
        account = db.scalar(select(Account))
        assert account.status == "active" and account_credentials(rt, account)["token"] != old
    assert sandbox_client.get_account(sandbox_url, "acme")["username"] == "acme"
