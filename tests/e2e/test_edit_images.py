"""Editing a post's images in Chromium: the author adds an image to an approved post,
describes it and moves it first; saving voids the approval like a text edit, and the post's
page shows the change of images in its diff (issue 13)."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest

from gateway import create_app
from postgate.services.approvals import valid_approvals
from postgate.store.models import MediaItem, Post
from tests import images
from tests.e2e.conftest import login
from tests.helpers import Actors, approve_post

pytestmark = pytest.mark.browser

TEXT = "Nos horaires d'hiver sont affichés en boutique."


def approved_post_with_an_image(stack) -> int:
    """Through the API in process: alice's post with one described image, approved by bruno."""
    client = create_app({"TESTING": True}, settings=stack.rt.settings).test_client()
    actors = Actors(stack.rt, client)
    alice, bruno = actors.login(stack.people["alice"]), actors.login(stack.people["bruno"])
    uploaded = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(images.png()), "horaires.png")},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    media = [{"id": uploaded.get_json()["id"], "alt": "Les horaires d'hiver"}]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = {"account": "acme", "text": TEXT, "media": media, "scheduled_at": tomorrow}
    made = client.post("/api/v1/posts", json=body, headers=alice.headers)
    assert made.status_code == 201, made.get_json()
    deadline = time.monotonic() + 60
    while True:  # the worker reads the image's text before anyone may approve
        with stack.rt.store.session() as db:
            if db.get(MediaItem, media[0]["id"]).ocr_status != "pending":
                break
        assert time.monotonic() < deadline, "the image was never read"
        time.sleep(0.25)
    approved = approve_post(client, bruno, made.get_json()["id"], otp=bruno.code())
    assert approved.status_code == 200, approved.get_json()
    return made.get_json()["id"]


def test_changing_images_on_the_edit_page_voids_approvals_and_shows_in_the_diff(
    stack, new_page, tmp_path
) -> None:
    post_id = approved_post_with_an_image(stack)
    logo = tmp_path / "logo.png"
    logo.write_bytes(images.png(metadata=False))
    page = new_page()
    login(page, stack, stack.people["alice"])
    page.goto(f"{stack.url}/posts/{post_id}/edit")
    page.wait_for_selector("#media-list li img")
    assert page.locator("#media-list textarea").first.input_value() == "Les horaires d'hiver"
    page.set_input_files("#media-input", [str(logo)])
    page.wait_for_selector("#media-list li:nth-child(2) img")
    page.locator("#media-list textarea").nth(1).fill("Le logo Acme")
    page.locator("#media-list li").nth(1).locator("button").first.click()  # move it up
    page.click("#edit-form button[type=submit]")
    page.wait_for_url(f"{stack.url}/posts/{post_id}")

    with stack.rt.store.session() as db:
        post = db.get(Post, post_id)
        assert [m["alt"] for m in post.media] == ["Le logo Acme", "Les horaires d'hiver"]
        assert post.text == TEXT and valid_approvals(post) == []
        assert post.status == "pending_review"
    assert page.locator(".media-after li").count() == 2
    assert "Le logo Acme" in page.locator(".media-after").first.inner_text()
    assert page.locator(".media-before li").count() == 1
