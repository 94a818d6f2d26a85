"""Publishing posts with images on the sandbox: each image uploaded and processed before the
status, never half a post, retries reusing the uploads that succeeded, and the bytes checked
against the approval right before the platform call (issue 13, invariants 1 and 4)."""

from __future__ import annotations

import hashlib
import io

import httpx
import pytest

from postgate.platforms import mastodon
from sandbox import client as sandbox_client
from tests import images
from tests.helpers import approve_post
from workers.jobs import publish

pytestmark = pytest.mark.platform_protocol


@pytest.fixture
def app(rt):
    """Images read during the upload, so the posts can be approved at once."""
    from gateway import create_app

    inline = rt.settings.with_overrides(media_ocr_inline_pixels=10_000_000)
    return create_app({"TESTING": True}, settings=inline)


def _upload(client, person, data: bytes) -> int:
    sent = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "x")},
        headers=person.headers,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    return sent.get_json()["id"]


@pytest.fixture
def image_post(client, people):
    """An approved post, due now, with two images: a PNG then a GIF."""

    def make(text: str = "Deux images pour la rentrée") -> dict:
        author, reviewer = people["author"], people["reviewer"]
        ids = [_upload(client, author, images.png()), _upload(client, author, images.gif())]
        media = [{"id": ids[0], "alt": "Un carré rouge"}, {"id": ids[1], "alt": "Trois couleurs"}]
        body = {"account": "acme", "text": text, "media": media}
        post = client.post("/api/v1/posts", json=body, headers=author.headers).get_json()
        approved = approve_post(client, reviewer, post["id"])
        assert approved.get_json()["status"] == "scheduled", approved.get_json()
        return approved.get_json()

    return make


def _media_settings(sandbox_url: str, processing_ms: int) -> None:
    httpx.put(f"{sandbox_url}/sandbox/media", json={"processing_ms": processing_ms})


def _status_of(sandbox_url: str, remote_id: str) -> dict:
    return httpx.get(f"{sandbox_url}/api/v1/statuses/{remote_id}").json()


def test_worker_publishes_the_images_in_order_after_processing(
    workers, image_post, poster, sandbox_url
):
    _media_settings(sandbox_url, 700)  # every upload answers 202, then 206 for 0.7 s
    post = image_post()
    workers.start()
    done = poster.wait_status(post["id"], "published", timeout=20)
    status = _status_of(sandbox_url, done.remote_id)
    attached = status["media_attachments"]
    assert [m["description"] for m in attached] == ["Un carré rouge", "Trois couleurs"]
    fetched = [httpx.get(m["url"]).content for m in attached]
    assert [hashlib.sha256(b).hexdigest() for b in fetched] == [m["sha256"] for m in post["media"]]
    assert sandbox_client.get_stats(sandbox_url)["media_uploads"] == 2


def test_a_failure_after_one_upload_leaves_no_post_and_the_retry_reuses_it(
    rt, image_post, poster, sandbox_url, monkeypatch
):
    monkeypatch.setattr(mastodon, "PROCESSING_WAIT", 0.2)
    _media_settings(sandbox_url, 1200)  # longer than the connector waits: the attempt fails
    post = image_post()
    outcome = publish(rt, post["id"], post["revision"])
    assert outcome.startswith("retry"), outcome
    assert poster.live() == []  # no half post: the status was never created
    first = poster.post(post["id"])
    assert first.status == "scheduled" and len(first.media_uploads) == 1
    _media_settings(sandbox_url, 0)
    import time

    time.sleep(1.3)  # the first upload is processed by now
    outcome = publish(rt, post["id"], post["revision"])
    assert outcome.startswith("published"), outcome
    assert sandbox_client.get_stats(sandbox_url)["media_uploads"] == 2  # 1 reused + 1 new
    live = poster.live()
    assert len(live) == 1
    remembered = next(iter(first.media_uploads.values()))["ref"]
    attached = _status_of(sandbox_url, live[0]["id"])["media_attachments"]
    assert attached[0]["id"] == remembered and len(attached) == 2


def test_bytes_changed_after_approval_block_the_post(rt, image_post, poster, sandbox_url):
    from postgate.store.models import MediaBlob

    post = image_post()
    with rt.store.transaction() as db:  # someone with access to the store swaps the picture
        blob = db.get(MediaBlob, post["media"][1]["sha256"])
        blob.data = images.gif(frames=2)
    outcome = publish(rt, post["id"], post["revision"])
    assert outcome.startswith("blocked"), outcome
    blocked = poster.post(post["id"])
    assert blocked.status == "blocked" and "image 2" in blocked.status_reason
    assert poster.live() == [] and sandbox_client.get_stats(sandbox_url)["media_uploads"] == 0


def test_missing_bytes_block_the_post(rt, image_post, poster):
    from postgate.store.models import MediaBlob

    post = image_post()
    with rt.store.transaction() as db:
        db.delete(db.get(MediaBlob, post["media"][0]["sha256"]))
    assert publish(rt, post["id"], post["revision"]).startswith("blocked")
    assert "image 1 is missing" in poster.post(post["id"]).status_reason
