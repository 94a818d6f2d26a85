"""The admin pages: role checks, CSRF, connecting accounts with credentials that are never
shown again, settings with errors next to fields, users and roles, rules and catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import create_app
from postgate.store.models import Account, User
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from tests.helpers import WebActions, error_next_to, make_account

pytestmark = pytest.mark.store_neutral

PAGES = ["/admin", "/admin/accounts", "/admin/accounts/acme", "/admin/rules"]
POSTS = [
    "/admin/accounts",
    "/admin/accounts/acme",
    "/admin/accounts/acme/credentials",
    "/security/users/new",
    "/security/users/roles",
    "/security/users/reset-2fa",
    "/security/users/reset-password",
]
SECRET = "s3cr3t-platform-token-value"


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


@pytest.fixture
def ada(actors, web):
    person = actors.create("ada", "admin")
    web.login(person)
    return person


@pytest.fixture
def sandbox_web(rt, sandbox_url) -> WebActions:
    """The web app of an instance whose sandbox platform answers at ``sandbox_url``."""
    settings = rt.settings.with_overrides(sandbox_url=sandbox_url)
    return WebActions(create_app({"TESTING": True}, settings=settings).test_client())


@pytest.mark.parametrize("role", ["author", "reviewer", "security"])
def test_other_roles_get_403_on_every_admin_page(client, web, actors, rt, role) -> None:
    make_account(rt, "acme")
    web.login(actors.create("pat", role))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert web.submit(path, page="/me").status_code == 403, path


def test_admin_forms_without_csrf_token_are_refused(client, rt, ada) -> None:
    make_account(rt, "acme")
    for path in POSTS:
        assert client.post(path, data={"name": "x"}).status_code == 400, path


def test_admin_home_shows_accounts_users_and_rules_version(client, rt, ada) -> None:
    from postgate.services.checking import current_ruleset

    make_account(rt, "acme")
    body = client.get("/admin").get_data(as_text=True)
    assert "acme" in body and current_ruleset(rt).version[:12] in body


def test_connect_an_account_verifies_and_never_shows_the_credentials(
    rt, actors, sandbox_url, sandbox_web
) -> None:
    sandbox_web.login(actors.create("ada", "admin"))
    token = sandbox.issue_token(sandbox_url, "acme-fr")["access_token"]
    form = {
        "name": "acme-fr",
        "platform": "sandbox",
        "base_url": sandbox_url,
        "credentials": token,
        "timezone": "Europe/Paris",
        "windows": "mon-fri 08:00-20:00\nsat 10:00-14:00",
        "blackout_dates": "2026-12-25",
        "approvals": "2",
    }
    response = sandbox_web.submit("/admin/accounts", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/admin/accounts/acme-fr"
    with rt.store.session() as db:
        account = db.query(Account).filter_by(name="acme-fr").one()
        assert account.approvals_required == 2 and account.windows[1] == "sat 10:00-14:00"
        assert token not in (account.credentials_enc or "")
    for path in ("/admin/accounts", "/admin/accounts/acme-fr", "/admin"):
        body = sandbox_web.client.get(path).get_data(as_text=True)
        assert token not in body and "acme-fr" in body


def test_refused_credentials_are_an_error_next_to_the_field_and_not_echoed(
    web, rt, ada, sandbox_url
) -> None:
    form = {
        "name": "acme-fr",
        "platform": "sandbox",
        "base_url": sandbox_url,
        "credentials": SECRET,
        "timezone": "Europe/Paris",
        "windows": "mon-fri 08:00-20:00",
        "approvals": "1",
    }
    response = web.submit("/admin/accounts", form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "refused" in error_next_to(body, "credentials")
    assert SECRET not in body
    assert 'value="acme-fr"' in body and "mon-fri 08:00-20:00</textarea>" in body
    with rt.store.session() as db:
        assert db.query(Account).count() == 0


def test_connect_form_errors_are_next_to_their_fields(web, rt, ada) -> None:
    form = {
        "name": "Bad Name!",
        "platform": "sandbox",
        "credentials": SECRET,
        "timezone": "Mars/Olympus",
        "approvals": "9",
    }
    body = web.submit("/admin/accounts", form).get_data(as_text=True)
    assert error_next_to(body, "approvals")
    assert SECRET not in body
    form["approvals"] = "1"
    response = web.submit("/admin/accounts", form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "account name" in error_next_to(body, "name")
    assert 'value="Bad Name!"' in body and 'value="Mars/Olympus"' in body and SECRET not in body
    form["name"] = "acme"
    body = web.submit("/admin/accounts", form).get_data(as_text=True)
    assert "time zone" in error_next_to(body, "timezone")


def test_settings_are_saved_and_errors_keep_the_input(client, web, rt, ada) -> None:
    make_account(rt, "acme")
    body = client.get("/admin/accounts/acme").get_data(as_text=True)
    assert 'name="settings-timezone"' in body and "sandbox-token" not in body
    data = {
        "settings-timezone": "Europe/Paris",
        "settings-windows": "mon-fri 08:00-20:00\nsun 25:00-26:00",
        "settings-blackout_dates": "",
        "settings-approvals": "3",
    }
    response = web.submit("/admin/accounts/acme", data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "25:00" in error_next_to(body, "settings-windows")
    assert "sun 25:00-26:00</textarea>" in body and 'value="3"' in body
    data["settings-windows"] = "mon-fri 08:00-20:00"
    assert web.submit("/admin/accounts/acme", data).status_code == 302
    with rt.store.session() as db:
        account = db.query(Account).filter_by(name="acme").one()
        assert account.approvals_required == 3 and account.timezone == "Europe/Paris"
    assert client.get("/admin/accounts/nope").status_code == 404


def test_replacing_credentials_reconnects_a_compromised_account(
    rt, actors, sandbox_url, sandbox_web
):
    web, client = sandbox_web, sandbox_web.client
    web.login(actors.create("ada", "admin"))
    make_account(rt, "acme", base_url=sandbox_url)
    with rt.store.transaction() as db:
        db.query(Account).filter_by(name="acme").one().status = "compromised"
    body = client.get("/admin/accounts/acme").get_data(as_text=True)
    assert "cannot publish until it is reconnected" in body
    page = "/admin/accounts/acme"
    response = web.submit(f"{page}/credentials", {"creds-credentials": SECRET}, page=page)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert error_next_to(body, "creds-credentials") and SECRET not in body
    fresh = sandbox.issue_token(sandbox_url, "acme")["access_token"]
    response = web.submit(f"{page}/credentials", {"creds-credentials": fresh}, page=page)
    assert response.status_code == 302
    body = client.get("/admin/accounts/acme").get_data(as_text=True)
    assert fresh not in body and "status-active" in body


def test_admin_manages_users_and_roles(client, web, rt, actors, ada) -> None:
    body = client.get("/security/users").get_data(as_text=True)
    assert 'action="/security/users/new"' in body and 'action="/security/users/revoke"' in body
    page = "/security/users"
    response = web.submit("/security/users/new", {"new-username": "bo"}, page=page)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert error_next_to(body, "new-roles") and 'value="bo"' in body
    new = {"new-username": "bo", "new-roles": ["author", "reviewer"]}
    response = web.submit("/security/users/new", new, page=page)
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    assert "will not be shown again" in body and "/enrol/pe_" in body
    assert "Hand this link to bo" in body and "<svg" not in body  # no secret to scan here
    assert "Hand this link to" not in client.get("/security/users").get_data(as_text=True)
    roles = {"roles-username": "bo", "roles-roles": ["security"]}
    response = web.submit("/security/users/roles", roles, page=page)
    assert response.status_code == 302
    with rt.store.session() as db:
        assert db.query(User).filter_by(username="bo").one().roles == "security"
    roles = {"roles-username": "ada", "roles-roles": ["author"]}
    response = web.submit("/security/users/roles", roles, page=page)
    body = response.get_data(as_text=True)
    assert response.status_code == 403 and "nobody changes their own roles" in body
    response = web.submit("/security/users/reset-2fa", {"reset-username": "bo"}, page=page)
    assert response.status_code == 200 and "/enrol/pe_" in response.get_data(as_text=True)
    response = web.submit("/security/users/reset-password", {"password-username": "bo"}, page=page)
    assert response.status_code == 200 and "Hand this link to bo" in response.get_data(as_text=True)


def test_rules_page_shows_the_version_the_rules_and_the_catalogue(client, rt, ada) -> None:
    from postgate.services.checking import current_ruleset

    body = client.get("/admin/rules").get_data(as_text=True)
    assert current_ruleset(rt).version in body
    assert "AUR-100" in body and "Casque Aurora" in body and "79.99" in body
    first_line = rt.settings.rules_path.read_text().splitlines()[0]
    assert first_line.replace('"', "&#34;").replace("'", "&#39;")[:20] in body
