"""End to end in Chromium: an author submits a post; the reviewer signs in, sees the unread
count in the header, opens the list, follows nothing yet, marks all read and the count goes;
then chooses English for their messages on their notification settings."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import login
from tests.helpers import Person

pytestmark = pytest.mark.browser


def _submit(stack, person: Person, text: str) -> int:
    body = {"username": person.username, "password": person.password, "otp": person.code()}
    session = httpx.post(f"{stack.url}/api/v1/session", json=body, timeout=10).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    made = httpx.post(
        f"{stack.url}/api/v1/posts", json={"account": "acme", "text": text}, headers=headers
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_the_reviewer_sees_and_clears_their_notifications(stack, new_page) -> None:
    post_id = _submit(stack, stack.people["alice"], "Nouvelle collection en boutique")
    page = new_page()
    login(page, stack, stack.people["bruno"])
    badge = page.locator("#notifications-link .badge")
    assert badge.text_content() == "1"
    page.click("#notifications-link")
    page.wait_for_url(f"{stack.url}/notifications")
    item = page.locator("li.notification.unread").first
    assert item.locator("strong a").text_content() == (
        f"La publication n°\u00a0{post_id} attend votre relecture"
    )
    assert item.locator("strong a").get_attribute("href") == f"/review/{post_id}"
    page.click("form[action='/notifications/read'] button[type=submit]")
    page.wait_for_url(f"{stack.url}/notifications")
    assert page.locator("#notifications-link .badge").count() == 0
    assert page.locator("li.notification.unread").count() == 0

    page.goto(f"{stack.url}/me/notifications")
    page.select_option("#language", "en")
    page.click("form[action='/me/notifications'] button[type=submit]")
    page.wait_for_url(f"{stack.url}/me/notifications")
    assert page.input_value("#language") == "en"
