"""X, LinkedIn, Facebook, Instagram and Threads accounts connected from the admin pages,
against a local stand-in of each authorization server (``tests/oauth_standin.py``, which also
answers the connectors' verification): X with OAuth 2.0 and PKCE, its token refreshed ahead
of expiry by the refresh job, and a refused refresh making it ``disconnected`` until the
admin reconnects it; LinkedIn, Facebook and Instagram after picking what to connect."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from rq.job import Job
from sqlalchemy import select

from postgate.errors import ValidationFailed
from postgate.oauth.providers import PROVIDERS
from postgate.runtime import Runtime
from postgate.services import oauth_connect
from postgate.services.credentials import account_credentials
from postgate.services.token_refresh import RefreshOutcome, refresh_account
from postgate.store.models import Account, AuditEntry, AuthToken, Notification, User
from postgate.store.types import utcnow
from tests.conftest import make_env, write_fast_config
from tests.oauth_flow import continue_link
from tests.oauth_standin import CLIENT_ID, X_USER, running_standin, standin_settings
from workers import tokens

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def standin():
    with running_standin() as state:
        yield state


@pytest.fixture
def env(tmp_path, database_url, redis_url, redis, standin):
    config = write_fast_config(tmp_path)
    config.write_text(
        config.read_text()
        + f'\n[security]\nallow_private_urls = ["{standin.url}"]\n'
        + standin_settings(standin.url)
    )
    return make_env(tmp_path, database_url, redis_url, POSTGATE_CONFIG=str(config))


@pytest.fixture
def signed_in(web, actors):
    web.ada = actors.create("ada", "admin")  # kept for a second browser of the same person
    web.login(web.ada)
    return web


def connect(web, platform: str = "x", name: str = "brand-x", path: str = "/admin/accounts/connect"):
    form = {
        "oauth-name": name,
        "oauth-platform": platform,
        "oauth-timezone": "UTC",
        "oauth-approvals": "1",
    }
    started = web.submit(path, form, page="/admin/accounts")
    consent = httpx.get(continue_link(started))  # the stand-in consents at once
    assert consent.status_code == 302
    back = urlsplit(consent.headers["location"])
    return web.client.get(f"{back.path}?{back.query}")


def x_account(rt) -> Account:
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.platform == "x"))
        db.expunge(account)
        return account


def test_x_connects_with_pkce_and_refreshes_ahead_of_expiry(signed_in, rt, standin):
    done = connect(signed_in)
    assert done.status_code == 302, done.get_data(as_text=True)
    asked = standin.last_authorize()
    assert asked["client_id"] == CLIENT_ID and asked["code_challenge_method"] == "S256"
    assert "offline.access" in asked["scope"].split()
    account = x_account(rt)
    creds = account_credentials(rt, account)
    assert account.handle == X_USER["username"] and account.status == "active"
    assert set(creds) == {
        "access_token",
        "client_id",
        "client_secret",
        "refresh_token",
        "expires_at",
    }  # the fields docs/platforms.md gives for X
    expires = account.token_expires_at
    assert expires is not None and timedelta(minutes=119) < expires - utcnow() <= timedelta(hours=2)
    assert creds["expires_at"] == expires.isoformat()
    assert creds["refresh_token"] in standin.refresh_tokens
    # Not due an hour and a half before the end; due within the hour before it.
    assert refresh_account(rt, account.id) == RefreshOutcome.NOT_DUE
    soon = Runtime(rt.settings.with_overrides(oauth_refresh_ahead_seconds=3 * 3600))
    assert tokens.queue_due_refreshes(soon) == [account.id]
    assert Job.exists(f"token-refresh-{account.id}", connection=rt.redis)
    assert tokens.refresh(soon, account.id) == RefreshOutcome.REFRESHED
    renewed = x_account(rt)
    new_creds = account_credentials(rt, renewed)
    assert new_creds["access_token"] != creds["access_token"]
    assert new_creds["client_secret"] == creds["client_secret"]
    assert new_creds["refresh_token"] != creds["refresh_token"]  # X rotates them
    assert renewed.token_expires_at > expires and new_creds["expires_at"] != creds["expires_at"]
    with rt.store.session() as db:
        logged = " ".join(str(e.details) for e in db.scalars(select(AuditEntry)))
        actions = [e.action for e in db.scalars(select(AuditEntry))]
    assert "account:token-refresh" in actions
    for name, secret in (*new_creds.items(), *creds.items()):
        assert name in ("client_id", "expires_at") or secret not in logged


def test_a_refused_refresh_disconnects_until_reconnected(signed_in, rt, standin):
    assert connect(signed_in).status_code == 302
    account = x_account(rt)
    standin.refresh_tokens.clear()  # revoked on X: the refresh token is no longer valid
    later = utcnow() + timedelta(hours=1, minutes=30)
    assert refresh_account(rt, account.id, now=later) == RefreshOutcome.DISCONNECTED
    assert x_account(rt).status == "disconnected"
    with rt.store.session() as db:
        told = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "account:disconnected")
        ).one()
    assert told.target == "account:brand-x" and "invalid" in told.details["reason"]
    with rt.store.session() as db:  # the admins are told (the notifications' routing)
        notes = db.scalars(select(Notification).where(Notification.kind == "security.disconnected"))
        assert [n.params["account"] for n in notes] == ["brand-x"]
    console = signed_in.client.get("/security").get_data(as_text=True)
    assert "disconnected" in console and "Reconnect" in console
    # Disconnected accounts are not refreshed again; the admin reconnects it.
    assert refresh_account(rt, account.id, now=later) == RefreshOutcome.NOT_DUE
    done = connect(signed_in, path="/admin/accounts/brand-x/reconnect")
    assert done.status_code == 302
    assert x_account(rt).status == "active" and x_account(rt).token_expires_at is not None


def test_a_refresh_while_x_is_down_waits_for_the_next_look(signed_in, rt, standin):
    assert connect(signed_in).status_code == 302
    account = x_account(rt)
    standin.down = True
    later = utcnow() + timedelta(hours=1, minutes=30)
    assert refresh_account(rt, account.id, now=later) == RefreshOutcome.RETRY
    assert x_account(rt).status == "active"


def test_denied_on_x_connects_nothing(signed_in, rt, standin):
    standin.deny_next = True
    answer = connect(signed_in)
    assert answer.status_code == 400 and "access_denied" in answer.get_data(as_text=True)
    with rt.store.session() as db:
        assert db.scalars(select(Account)).all() == []


def test_platforms_without_an_app_cannot_start(signed_in, rt):
    """Without ``POSTGATE_X_APP_ID``/``_APP_SECRET`` the admin is told what to set."""
    bare = Runtime(rt.settings.with_overrides(platform_apps={}))
    with bare.store.transaction() as db:
        user = db.scalar(select(User))
        session = db.scalar(select(AuthToken))
        with pytest.raises(ValidationFailed) as refused:
            request = oauth_connect.ConnectRequest("x", "brand-x")
            oauth_connect.start(bare, db, user, session, request, "http://h/cb")
    assert "POSTGATE_X_APP_ID" in refused.value.message and refused.value.field == "platform"


@pytest.mark.parametrize("platform", ["linkedin", "facebook", "instagram", "threads"])
def test_linkedin_facebook_instagram_threads_connect_from_the_web(signed_in, rt, standin, platform):
    """From the Connect button to the account connected with the fields its connector reads
    (the stand-in also answers the connector's verification of the page, organisation or
    profile)."""
    form = signed_in.client.get("/admin/accounts").get_data(as_text=True)
    offered = form.split('id="connect-with-platform"')[1].split("</form>")[0]
    assert f'value="{platform}"' in offered
    answer = connect(signed_in, platform, f"brand-{platform}")
    if platform == "threads":  # the consenting user is the account: no pick
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert answer.headers["Location"].endswith("/admin/accounts/brand-threads")
        _refreshes(rt, platform)
        return
    assert answer.status_code == 302 and "/choose" in answer.headers["Location"]
    choose = answer.headers["Location"]
    page = signed_in.client.get(choose).get_data(as_text=True)
    assert "Acme" in page
    target = {"linkedin": "2414183", "facebook": "101", "instagram": "17841400000000001"}[platform]
    assert signed_in.submit(choose, {"choice": "999"}).status_code == 422  # not offered
    assert signed_in.client.get("/admin/oauth/999999/choose").status_code == 404
    other = signed_in.another()
    other.login(signed_in.ada)
    assert other.client.get(choose).status_code == 404  # another session's consent
    done = signed_in.submit(choose, {"choice": target})
    assert done.status_code == 302, done.get_data(as_text=True)
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.platform == platform))
        creds = account_credentials(rt, account)
    assert creds[PROVIDERS[platform].target_field] == target
    assert signed_in.client.get(choose).status_code == 404  # used up
    if platform == "linkedin":
        _refreshes(rt, platform)


def _refreshes(rt, platform: str) -> None:
    """The connected account's token is refreshed ahead of its end, the platform's way."""
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.platform == platform))
        before = account_credentials(rt, account)
    ends = account.token_expires_at
    assert ends is not None
    assert refresh_account(rt, account.id, now=ends - timedelta(minutes=30)) == "refreshed"
    with rt.store.session() as db:
        after = account_credentials(rt, db.get(Account, account.id))
    assert after["access_token"] != before["access_token"]


def test_without_a_refresh_token_the_account_waits_for_the_end_then_disconnects(
    signed_in, rt, standin
):
    """LinkedIn grants refresh tokens only to some apps: the token is used to its end."""
    assert connect(signed_in).status_code == 302
    account = x_account(rt)
    credentials = account_credentials(rt, account)
    del credentials["refresh_token"]
    with rt.store.transaction() as db:
        db.get(Account, account.id).credentials_enc = rt.vault.encrypt_json(credentials)
    ends = account.token_expires_at
    assert refresh_account(rt, account.id, now=ends - timedelta(minutes=30)) == "not_due"
    assert x_account(rt).status == "active"
    assert refresh_account(rt, account.id, now=ends) == RefreshOutcome.DISCONNECTED
    with rt.store.session() as db:
        told = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "account:disconnected")
        ).one()
    assert "expired" in told.details["reason"] and "no refresh token" in told.details["reason"]
