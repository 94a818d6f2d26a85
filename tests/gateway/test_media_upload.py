"""``POST /api/v1/media``: the real type from the bytes, metadata removed, size limits, and
the bytes served only to who may see them (issue 13)."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from tests import images
from tests.helpers import make_account

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    return {
        "author": actors.person("alice", "author"),
        "other": actors.person("olga", "author"),
        "reviewer": actors.person("bob", "reviewer"),
    }


def upload(client, person, data: bytes, name: str = "photo.jpg", **fields):
    form = {"file": (io.BytesIO(data), name), **fields}
    return client.post(
        "/api/v1/media", data=form, headers=person.headers, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(
    ("maker", "mime"),
    [
        (images.jpeg, "image/jpeg"),
        (images.png, "image/png"),
        (images.webp, "image/webp"),
        (images.gif, "image/gif"),
    ],
)
def test_upload_keeps_the_pixels_and_drops_gps_serial_and_author(client, people, maker, mime):
    original = maker()
    assert images.SERIAL.encode() in original and images.AUTHOR.encode() in original
    response = upload(client, people["author"], original, name="not-what-it-says.bin")
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["mime"] == mime and (answer["width"], answer["height"]) == (64, 48)
    stored = client.get(f"/api/v1/media/{answer['id']}/file", headers=people["author"].headers)
    assert stored.status_code == 200 and stored.mimetype == mime
    kept = stored.get_data()
    assert hashlib.sha256(kept).hexdigest() == answer["sha256"]
    assert images.SERIAL.encode() not in kept and images.AUTHOR.encode() not in kept
    assert b"Canon" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif() and "xmp" not in image.info and "comment" not in image.info
    assert images.pixels(kept) == images.pixels(original)  # nothing re-encoded


def test_a_turned_jpeg_is_stored_upright_without_its_exif(client, people):
    turned = images.jpeg(orientation=6, size=(64, 48))
    answer = upload(client, people["author"], turned).get_json()
    assert (answer["width"], answer["height"]) == (48, 64)
    kept = client.get(f"/api/v1/media/{answer['id']}/file", headers=people["author"].headers)
    assert images.SERIAL.encode() not in kept.get_data()


def test_same_image_twice_is_stored_once_under_its_sha256(client, people, rt):
    from sqlalchemy import func, select

    from postgate.store.models import MediaBlob

    first = upload(client, people["author"], images.png()).get_json()
    second = upload(client, people["author"], images.png()).get_json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    with rt.store.session() as db:
        assert db.scalar(select(func.count()).select_from(MediaBlob)) == 1


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "cute.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.svg"),
        (b"%PDF-1.7\n", "flyer.jpg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "broken.jpg"),  # a JPEG header, then nothing
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "broken.png"),
    ],
)
def test_anything_but_a_real_image_is_refused_with_422(client, people, data, name):
    response = upload(client, people["author"], data, name=name)
    assert response.status_code == 422
    assert response.get_json()["field"] == "file"


def test_upload_without_a_file_or_as_json_is_refused(client, people):
    headers = people["author"].headers
    assert client.post("/api/v1/media", json={"file": "x"}, headers=headers).status_code == 422
    empty = client.post(
        "/api/v1/media",
        data={"description": "x"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert empty.status_code == 422 and empty.get_json()["field"] == "file"


def test_size_limit_from_settings(people, rt, actors):
    from gateway import create_app

    small = rt.settings.with_overrides(media_max_bytes=300)
    client = create_app({"TESTING": True}, settings=small).test_client()
    assert upload(client, people["author"], images.png(metadata=False)).status_code == 201
    too_big = upload(client, people["author"], images.jpeg(size=(400, 400)))
    assert too_big.status_code == 422 and too_big.get_json()["field"] == "file"
    huge = upload(client, people["author"], b"\xff\xd8\xff" + b"\x00" * 200_000)
    assert huge.status_code == 413


def test_a_decompression_bomb_is_refused(client, people):
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # ~50 kB, 400 million pixels
    response = upload(client, people["author"], out.getvalue())
    assert response.status_code == 422 and "pixels" in response.get_json()["message"]


def test_bytes_only_for_the_uploader_and_reviewers(client, people, app):
    answer = upload(client, people["author"], images.png()).get_json()
    path = f"/api/v1/media/{answer['id']}"
    assert client.get(path).status_code == 401
    assert client.get(f"{path}/file").status_code == 401
    assert client.get(path, headers=people["other"].headers).status_code == 404
    assert client.get(f"{path}/file", headers=people["other"].headers).status_code == 404
    assert client.get(f"{path}/file", headers=people["reviewer"].headers).status_code == 200
    served = client.get(f"{path}/file", headers=people["author"].headers)
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_only_authors_upload(client, people):
    response = upload(client, people["reviewer"], images.png())
    assert response.status_code == 403


def test_upload_is_audited(client, people, rt):
    from sqlalchemy import select

    from postgate.store.models import AuditEntry

    answer = upload(client, people["author"], images.png()).get_json()
    with rt.store.session() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "media:upload")).one()
    assert entry.actor == "alice" and entry.details["sha256"] == answer["sha256"]


def test_a_form_part_without_a_name_is_no_500(client, people):
    """What Schemathesis found: a part whose Content-Disposition names nothing reached the
    NUL check as None (a 500)."""
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\n{{}}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
        "not an image\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    response = client.post(
        "/api/v1/media",
        data=body,
        headers=people["author"].headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "form",
    [
        {"file": "photo.jpg", "alt": "a\x00b"},
        {"file": "photo.jpg", "al\x00t": "x"},
        {"fi\x00le": "photo.jpg"},
    ],
)
def test_a_nul_in_a_multipart_field_or_its_name_is_a_400(client, people, form):
    """Forms are read for the NUL check only when the body is one (a JSON call's body is
    not parsed as a form): a multipart body still has every field and part name checked."""
    data = {
        key: (io.BytesIO(images.jpeg()), value) if key.startswith("fi") else value
        for key, value in form.items()
    }
    answer = client.post(
        "/api/v1/media",
        data=data,
        headers=people["author"].headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
