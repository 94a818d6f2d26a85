"""A Mastodon account (not the sandbox platform) connected with the consent screen: the admin
names the server, Postgate registers itself there and stores the app's pair with the token.
The sandbox server plays the Mastodon server, listed in ``allow_private_urls`` as a private
Mastodon server would be."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from postgate.services.credentials import account_credentials
from postgate.store.models import Account
from sandbox.server import running_sandbox
from tests.conftest import make_env, write_fast_config
from tests.oauth_flow import consent, continue_link

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def server(tmp_path):
    with running_sandbox(tmp_path / "mastodon.db") as url:
        yield url


@pytest.fixture
def env(tmp_path, database_url, redis_url, redis, server):
    config = write_fast_config(tmp_path)
    config.write_text(config.read_text() + f'\n[security]\nallow_private_urls = ["{server}"]\n')
    return make_env(tmp_path, database_url, redis_url, POSTGATE_CONFIG=str(config))


def test_a_mastodon_server_named_by_the_admin(web, actors, rt, server):
    web.login(actors.create("ada", "admin"))
    form = {
        "oauth-name": "acme-social",
        "oauth-platform": "mastodon",
        "oauth-base_url": server + "/",
        "oauth-timezone": "Europe/Paris",
        "oauth-approvals": "2",
    }
    started = web.submit("/admin/accounts/connect", form, page="/admin/accounts")
    done = web.client.get(consent(continue_link(started), "acme"))
    assert done.status_code == 302 and done.headers["Location"].endswith("/acme-social")
    with rt.store.session() as db:
        account = db.scalar(select(Account))
        creds = account_credentials(rt, account)
    assert account.platform == "mastodon" and account.base_url == server
    assert account.approvals_required == 2 and account.token_expires_at is None
    assert set(creds) == {"token", "client_id", "client_secret"}
    me = httpx.get(
        f"{server}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {creds['token']}"},
    )
    assert me.json()["username"] == "acme"


def test_a_server_that_does_not_answer_is_a_clear_error(web, actors, rt):
    web.login(actors.create("ada", "admin"))
    form = {
        "oauth-name": "acme-social",
        "oauth-platform": "mastodon",
        "oauth-base_url": "https://mastodon.invalid",
        "oauth-timezone": "UTC",
        "oauth-approvals": "1",
    }
    answer = web.submit("/admin/accounts/connect", form, page="/admin/accounts")
    assert answer.status_code == 422, answer.status_code
    assert "mastodon.invalid" in answer.get_data(as_text=True)
