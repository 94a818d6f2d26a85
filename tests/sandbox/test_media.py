"""The sandbox's media API, shaped like Mastodon's (sandbox/media.py cites the sources):
upload, processing (202 then 206 until ready, 200 after), attaching to a status."""

from __future__ import annotations

import hashlib
import io
import time

from tests import images


def upload(client, headers, data=None, description="Un carré rouge"):
    return client.post(
        "/api/v2/media",
        data={"file": (io.BytesIO(data or images.png()), "a.png"), "description": description},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_upload_processed_at_once_answers_200_and_attaches(client, auth):
    headers = auth("acme")
    sent = upload(client, headers)
    assert sent.status_code == 200
    media = sent.json
    assert media["type"] == "image" and media["description"] == "Un carré rouge" and media["url"]
    status = client.post(
        "/api/v1/statuses", json={"status": "Hello", "media_ids": [media["id"]]}, headers=headers
    )
    assert status.status_code == 200
    attached = status.json["media_attachments"]
    assert [m["id"] for m in attached] == [media["id"]]
    assert client.get(f"/api/v1/statuses/{status.json['id']}").json["media_attachments"] == attached
    original = client.get(attached[0]["url"].removeprefix("http://sandbox.test"))
    assert hashlib.sha256(original.data).digest() == hashlib.sha256(images.png()).digest()
    # Attached media is no longer the uploader's to look at through /api/v1/media.
    assert client.get(f"/api/v1/media/{media['id']}", headers=headers).status_code == 404


def test_processing_delay_202_then_206_then_200(client, auth):
    headers = auth("acme")
    assert client.put("/sandbox/media", json={"processing_ms": 400}).json == {"processing_ms": 400}
    sent = upload(client, headers)
    assert sent.status_code == 202 and sent.json["url"] is None
    media_id = sent.json["id"]
    assert client.get(f"/api/v1/media/{media_id}", headers=headers).status_code == 206
    early = client.post(
        "/api/v1/statuses", json={"status": "Trop tôt", "media_ids": [media_id]}, headers=headers
    )
    assert early.status_code == 422 and "finished processing" in early.json["error"]
    time.sleep(0.45)
    ready = client.get(f"/api/v1/media/{media_id}", headers=headers)
    assert ready.status_code == 200 and ready.json["url"]


def test_media_of_another_account_or_too_many_are_refused(client, auth):
    mine, theirs = auth("acme"), auth("mallory")
    media_id = upload(client, theirs).json["id"]
    other = client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": [media_id]}, headers=mine
    )
    assert other.status_code == 404
    five = [upload(client, mine).json["id"] for _ in range(5)]
    many = client.post("/api/v1/statuses", json={"status": "x", "media_ids": five}, headers=mine)
    assert many.status_code == 422


def test_upload_needs_a_token_and_an_image(client, auth):
    assert upload(client, {}).status_code == 401
    refused = upload(client, auth("acme"), data=b"not an image at all")
    assert refused.status_code == 422
    assert refused.json["error"] == "File type of uploaded media could not be verified"
    assert upload(client, auth("acme"), description="x" * 1501).status_code == 422
    bad = client.put("/sandbox/media", json={"processing_ms": -1})
    assert bad.status_code == 422


def test_form_encoded_media_ids_work_too(client, auth):
    headers = auth("acme")
    media_id = upload(client, headers).json["id"]
    status = client.post(
        "/api/v1/statuses",
        data={"status": "Formulaire", "media_ids[]": [media_id]},
        headers=headers,
    )
    assert [m["id"] for m in status.json["media_attachments"]] == [media_id]
