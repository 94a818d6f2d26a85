"""End to end in Chromium: an admin connects a sandbox account with the platform's consent
screen (Postgate registers itself on the server, the browser goes to the sandbox's consent
page, the admin picks the account and authorizes, and comes back to Postgate with the account
connected); then denies a second consent and reads why nothing was connected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postgate.services.credentials import account_credentials
from postgate.store.models import Account
from sandbox import client as sandbox
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser


def _start(page, stack, name: str) -> None:
    page.goto(f"{stack.url}/admin/accounts")
    form = "form[action='/admin/accounts/connect']"
    page.fill(f"{form} input[name='oauth-name']", name)
    page.select_option(f"{form} select[name='oauth-platform']", "sandbox")
    page.fill(f"{form} input[name='oauth-timezone']", "Europe/Paris")
    page.click(f"{form} button[type=submit]")
    page.wait_for_url(f"{stack.url}/admin/accounts/connect")
    assert stack.sandbox_url.split("//")[1] in page.text_content("#continue")
    page.click("#continue")
    page.wait_for_url(f"{stack.sandbox_url}/oauth/authorize?**")


def test_admin_connects_a_sandbox_account_in_the_browser(stack, new_page) -> None:
    ada = stack.actors.create("ada", "admin")
    page = new_page()
    login(page, stack, ada)
    _start(page, stack, "marque")
    assert "Postgate" in page.text_content("h1")
    assert page.text_content("#scopes") == "read write"
    page.fill("#new_account", "marque-officielle")
    page.click("button[value=authorize]")
    page.wait_for_url(f"{stack.url}/admin/accounts/marque")
    assert "marque-officielle" in page.text_content("main")
    with stack.rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.name == "marque"))
        assert account.status == "active" and account.handle == "marque-officielle"
        assert set(account_credentials(stack.rt, account)) == {
            "token",
            "client_id",
            "client_secret",
        }
    assert sandbox.get_account(stack.sandbox_url, "marque-officielle")["username"]

    _start(page, stack, "autre")
    page.click("button[value=deny]")
    page.wait_for_url(f"{stack.url}/admin/oauth/callback?**")
    assert "access_denied" in page.text_content("main")
    with stack.rt.store.session() as db:
        assert db.scalar(select(Account).where(Account.name == "autre")) is None
