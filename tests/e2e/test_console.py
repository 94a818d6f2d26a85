"""End to end in Chromium: an attacker posts on the account directly; the security lead
signs in with password and TOTP, starts a takedown from the console (account, since, whose
sessions to end, TOTP), watches its live progress until done, and the platform has no post
left. Screenshots of the
console, takedown, audit log and admin pages go to ``docs/screenshots/`` (with
``POSTGATE_UPDATE_SCREENSHOTS=1``: ``tests/e2e/conftest.py``)."""

from __future__ import annotations

import httpx
import pytest

from sandbox import client as sandbox
from tests.e2e.conftest import login, shot
from tests.helpers import Person

pytestmark = pytest.mark.browser

ATTACKS = (
    "Tout à -90 % aujourd'hui seulement, cliquez ici : http://acme-promo.example",
    "Nous arrêtons toute activité. Merci pour tout.",
    "Gagnez un casque Aurora : envoyez vos identifiants bancaires en message privé !",
)


def _api_session(stack, person: Person) -> dict[str, str]:
    body = {"username": person.username, "password": person.password, "otp": person.code()}
    answer = httpx.post(f"{stack.url}/api/v1/session", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _signed_in(stack, headers: dict[str, str]) -> bool:
    return httpx.get(f"{stack.url}/api/v1/me", headers=headers, timeout=10).status_code == 200


def test_security_lead_takes_a_hacked_account_down_from_the_console(stack, new_page) -> None:
    sam = stack.actors.create("sam", "security")
    alice, bruno = (_api_session(stack, stack.people[n]) for n in ("alice", "bruno"))
    for text in ATTACKS:
        sandbox.post_direct(stack.sandbox_url, "acme", text)
    assert len(sandbox.list_live(stack.sandbox_url, "acme")) == len(ATTACKS)

    page = new_page()  # French, as the browser asks
    login(page, stack, sam)
    page.click("nav.main-nav a[href='/security']")
    page.wait_for_url(f"{stack.url}/security")
    assert page.is_visible("form[action='/security/takedowns']")
    shot(page, "console")

    sandbox.set_faults(stack.sandbox_url, latency_ms=700)  # slow enough to watch it run
    page.check("input[name=accounts][value=acme]")
    assert page.input_value("#since")  # prefilled: the last 24 hours
    alice_box = "input[name=users][value=alice]"
    label = page.get_attribute(alice_box, "id")
    assert page.text_content(f"label[for={label}]") == "alice"
    page.focus(alice_box)
    page.keyboard.press("Space")  # a labelled checkbox: the keyboard alone chooses
    assert page.is_checked(alice_box)
    assert not page.is_checked("input[name=users][value=bruno]")
    page.fill("form[action='/security/takedowns'] input[name=otp]", sam.code())
    page.click("form[action='/security/takedowns'] button.danger")
    page.wait_for_url(f"{stack.url}/security/takedowns/*")
    page.wait_for_selector("#takedown-live[data-status=running]")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-bind=total]').textContent) > 0",
        timeout=30_000,
    )
    shot(page, "takedown-progress")

    page.wait_for_selector("#takedown-live.is-done", timeout=60_000)
    sandbox.set_faults(stack.sandbox_url, latency_ms=0)
    deleted = page.text_content("tfoot [data-count=deleted]")
    assert deleted is not None and int(deleted) == len(ATTACKS)
    assert page.locator("table.items tbody tr").count() == len(ATTACKS)
    shot(page, "takedown-done")
    assert sandbox.list_live(stack.sandbox_url, "acme") == []
    assert not _signed_in(stack, alice) and _signed_in(stack, bruno)  # only alice was chosen

    page.click("a[href$='/report']")
    page.wait_for_selector("h1")
    assert "takedown:start" in page.content()
    page.goto(f"{stack.url}/security/audit")
    assert page.is_visible(".state-ok")
    assert page.locator("table.audit code", has_text="takedown:done").count() == 1
    shot(page, "audit-log")


def test_admin_pages_in_the_browser(stack, new_page) -> None:
    page = new_page()
    login(page, stack, stack.actors.create("ada", "admin"))
    page.click("nav.main-nav a[href='/admin']")
    page.wait_for_url(f"{stack.url}/admin")
    page.click("nav.subnav a[href='/admin/accounts']")
    page.wait_for_url(f"{stack.url}/admin/accounts")
    # A mistake keeps what was typed, shows the error next to the field, and never the secret.
    page.fill("#name", "acme-uk")
    page.select_option("#platform", "sandbox")
    page.fill("#credentials", "not-a-real-token")
    page.fill("#timezone", "Europe/Londres")
    page.fill("#windows", "mon-fri 09:00-18:00")
    page.click("form[action='/admin/accounts'] button[type=submit]")
    page.wait_for_selector("#timezone-error")
    assert page.input_value("#name") == "acme-uk"
    assert page.input_value("#windows") == "mon-fri 09:00-18:00"
    assert "not-a-real-token" not in page.content()
    page.fill("#timezone", "Europe/London")
    page.fill("#credentials", "")
    page.click("form[action='/admin/accounts'] button[type=submit]")
    page.wait_for_url(f"{stack.url}/admin/accounts/acme-uk")
    page.click("nav.subnav a[href='/admin/accounts']")
    page.wait_for_url(f"{stack.url}/admin/accounts")
    assert page.locator("table th a", has_text="acme-uk").count() == 1
    shot(page, "admin-accounts")
    page.goto(f"{stack.url}/security/users")
    assert page.locator("table.users th", has_text="alice").count() == 1
    shot(page, "admin-users")
    page.goto(f"{stack.url}/admin/rules")
    assert page.is_visible("pre.file")
    shot(page, "admin-rules")
