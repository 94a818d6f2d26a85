"""Images end to end in Chromium: the author picks two images, describes and reorders them;
the worker reads their text; the reviewer sees them with their alt text and approves; the
sandbox platform shows the status with both images, in order (issue 13)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from postgate.services.demo import demo_visual
from postgate.store.models import Post
from sandbox import client as sandbox
from tests import images
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.browser

TEXT = "La lampe Lumen revient en boutique samedi !"


def test_a_post_with_images_from_compose_to_the_platform(stack, new_page, tmp_path) -> None:
    promo, logo = tmp_path / "lumen.png", tmp_path / "logo.png"
    promo.write_bytes(demo_visual())
    logo.write_bytes(images.png())
    author = new_page()
    login(author, stack, stack.people["alice"])
    when = datetime.now(UTC) + timedelta(seconds=30)
    author.goto(f"{stack.url}/compose")
    author.check("input[name=accounts][value=acme]")
    author.fill("#text", TEXT)
    clock = ZoneInfo(stack.rt.settings.timezone)  # the author's: the organisation's
    author.fill("#scheduled_at", when.astimezone(clock).strftime("%Y-%m-%dT%H:%M:%S"))
    author.set_input_files("#media-input", [str(logo), str(promo)])
    author.wait_for_selector("#media-list li:nth-child(2) img")
    alts = author.locator("#media-list textarea")
    alts.nth(0).fill("Le logo Acme")
    alts.nth(1).fill("Affiche : la lampe Lumen à 34,90 €")
    author.locator("#media-list li").nth(1).locator("button").first.click()  # move it up
    assert author.locator("#media-list img").first.get_attribute("alt").startswith("Affiche")
    author.wait_for_selector(".live-account .ok-text")
    author.click("#compose-form button[type=submit]")
    author.wait_for_url(f"{stack.url}/posts/*")
    with stack.rt.store.session() as db:
        post = db.query(Post).filter(Post.text == TEXT).one()
        post_id, media = post.id, post.media
    assert [m["alt"] for m in media] == ["Affiche : la lampe Lumen à 34,90 €", "Le logo Acme"]

    reviewer = new_page()
    login(reviewer, stack, stack.people["bruno"])
    deadline = time.monotonic() + 60
    while True:  # the worker reads the text in the images, off the request path
        reviewer.goto(f"{stack.url}/review/{post_id}")
        if reviewer.locator("details.ocr").count() >= 1:
            break
        assert time.monotonic() < deadline, "the images were never read"
        time.sleep(0.5)
    assert reviewer.locator(".gallery img").count() == 2
    assert reviewer.locator(".gallery img").first.get_attribute("alt").startswith("Affiche")
    reviewer.locator("details.ocr").first.click()
    reviewer.fill("#otp", stack.people["bruno"].code())
    shot(reviewer, "review-image")
    reviewer.click("#approve-form button[type=submit]")
    reviewer.wait_for_url(f"{stack.url}/review")

    while not (
        live := [p for p in sandbox.list_live(stack.sandbox_url, "acme") if p["text"] == TEXT]
    ):
        assert time.monotonic() < deadline + 60, "the post never reached the sandbox platform"
        time.sleep(0.25)
    status = httpx.get(f"{stack.sandbox_url}/api/v1/statuses/{live[0]['id']}").json()
    assert [m["description"] for m in status["media_attachments"]] == [
        "Affiche : la lampe Lumen à 34,90 €",
        "Le logo Acme",
    ]
