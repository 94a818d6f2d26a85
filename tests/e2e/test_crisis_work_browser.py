"""In Chromium: a new person's time zone defaults to the browser's at enrolment, every page
then shows times on that clock, and during a freeze the compose page fills a statement
template in with one button."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from postgate.store.models import Freeze, Post, User
from tests.conftest import ROOT
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser

CHOSEN = "Lighthouse keeper moss 7 orbit"


def _context(browser: Any, zone: str) -> Any:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id=zone
    )
    context.set_default_timeout(10_000)
    return context


def _enrolment_link(stack: Any) -> str:
    ada = stack.actors.create("ada", "admin")
    body = {"username": ada.username, "password": ada.password, "otp": ada.code()}
    token = httpx.post(f"{stack.url}/api/v1/session", json=body, timeout=10).json()["token"]
    made = httpx.post(
        f"{stack.url}/api/v1/users",
        json={"username": "nina", "roles": ["author"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    return made.json()["enrolment"]["token"]


def test_the_browsers_zone_at_enrolment_and_a_template_during_a_freeze(stack, browser) -> None:
    token = _enrolment_link(stack)
    first = _context(browser, "America/New_York")
    try:
        page = first.new_page()
        page.goto(f"{stack.url}/enrol/{token}")
        assert page.input_value("#timezone") == "America/New_York"  # the browser's own zone
        page.fill("#password", CHOSEN)
        page.fill("#repeat", CHOSEN)
        page.click("#enrol-form button[type=submit]")
        page.wait_for_selector("form[action$='/confirm']")
    finally:
        first.close()
    with stack.rt.store.session() as db:
        assert db.scalar(select(User.timezone).where(User.username == "nina")) == (
            "America/New_York"
        )

    statements = stack.rt.settings.config_path.parent / "statements"
    shutil.copytree(ROOT / "config" / "statements", statements, dirs_exist_ok=True)
    with stack.rt.store.transaction() as db:
        db.add(Freeze(account_id=None, reason="drill"))
    second = _context(browser, "Asia/Tokyo")
    try:
        page = second.new_page()
        login(page, stack, stack.people["alice"])
        page.goto(f"{stack.url}/me")
        page.select_option("#timezone", "Asia/Tokyo")
        page.click("#timezone-form button[type=submit]")
        page.wait_for_selector("#timezone-form")
        page.goto(f"{stack.url}/compose")
        assert page.input_value("#text") == ""
        page.select_option("#template-choice", "holding-statement-en")
        page.click("#template-form button[type=submit]")
        page.wait_for_url("**/compose?template=holding-statement-en")
        assert page.input_value("#text").startswith("We are aware of unauthorised posts")
        assert "Asia/Tokyo" in page.text_content("#scheduled_at-help")
        page.check("input[name=accounts][value=acme]")
        page.fill("#scheduled_at", "2031-01-15T18:00")
        page.click("#compose-form button.primary")
        page.wait_for_url("**/posts/*")
        shown = page.text_content("time[datetime^='2031-01-15T09:00:00']")  # 18:00 in Tokyo
        assert shown is not None and "6:00:00" in shown
        assert page.is_visible("span.tz:has-text('Asia/Tokyo')")
    finally:
        second.close()
    with stack.rt.store.session() as db:
        post = db.scalar(select(Post))
        assert post.status == "blocked"  # the freeze holds it until the lead marks it
