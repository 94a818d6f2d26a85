"""Text read in a post's images, through the rules: a wrong price in a picture blocks the
post once the image is read, the finding names the image and shows the text (issue 13)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from benchmarks.promo_visuals import FONT_DIR
from postgate import queue
from postgate.services.media_text import read_pending
from tests.helpers import make_account

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def poster(lines: list[str]) -> bytes:
    image = Image.new("RGB", (1080, 1080), "#fff3b0")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 90)
    for n, line in enumerate(lines):
        draw.text((80, 200 + n * 200), line, font=font, fill="#1d3557")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    return {
        "author": actors.person("alice", "author"),
        "reviewer": actors.person("bob", "reviewer"),
    }


def _upload(client, person, data):
    sent = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "promo.png")},
        headers=person.headers,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201
    return sent.get_json()


def test_a_wrong_price_in_an_image_blocks_the_post_once_read(client, people, rt, redis):
    media = _upload(client, people["author"], poster(["SOLDES", "Lampe Lumen", "3,49 €"]))
    assert media["ocr_status"] == "pending"
    job = queue.named_queue(redis, queue.MEDIA_QUEUE).fetch_job(f"media-text-{media['id']}")
    assert job is not None and job.func_name == queue.MEDIA_TEXT_FUNCTION
    body = {
        "account": "acme",
        "text": "Nos soldes !",
        "media": [{"id": media["id"], "alt": "Lampe"}],
    }
    post = client.post("/api/v1/posts", json=body, headers=people["author"].headers).get_json()
    assert post["status"] == "pending_review" and post["findings"] == []

    assert read_pending(rt, media["id"]) == "done"  # what the worker's job runs

    after = client.get(f"/api/v1/posts/{post['id']}", headers=people["author"].headers).get_json()
    assert after["status"] == "blocked"
    prices = [f for f in after["findings"] if f["rule"] == "prices"]
    assert prices and prices[0]["image"] == 1 and "3,49 €" in prices[0]["image_text"]
    assert after["content_hash"] == post["content_hash"]  # the content did not change
    shown = client.get(f"/api/v1/media/{media['id']}", headers=people["author"].headers)
    assert "Lampe Lumen" in shown.get_json()["ocr_text"]


def test_the_reconciler_queues_uploads_still_unread(client, people, rt, redis):
    from workers.reconcile import reconcile_once

    media = _upload(client, people["author"], poster(["Bonjour"]))
    redis.flushdb()  # Redis lost the job
    report = reconcile_once(rt)
    assert report.media_text_queued == 1
    assert queue.named_queue(redis, queue.MEDIA_QUEUE).fetch_job(f"media-text-{media['id']}")
    read_pending(rt, media["id"])
    assert reconcile_once(rt).media_text_queued == 0
