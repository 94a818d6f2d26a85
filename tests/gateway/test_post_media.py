"""Posts with images through the API: attaching uploads, the platform's limit, and the
approval bound to each image's bytes and alt text in order (issue 13, invariant 1)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from tests import images
from tests.helpers import approve_post, make_account

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def app(rt):
    """Images read during the upload (small ones), so posts can be approved at once."""
    from gateway import create_app

    inline = rt.settings.with_overrides(media_ocr_inline_pixels=10_000_000)
    return create_app({"TESTING": True}, settings=inline)


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    return {
        "author": actors.person("alice", "author"),
        "other": actors.person("olga", "author"),
        "reviewer": actors.person("bob", "reviewer"),
    }


def upload(client, person, data: bytes | None = None) -> int:
    response = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data or images.png()), "x.png")},
        headers=person.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def submit(client, person, media, text="Nouvelle collection !"):
    when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"account": "acme", "text": text, "scheduled_at": when, "media": media}
    return client.post("/api/v1/posts", json=body, headers=person.headers)


def approve(client, person, post_id):
    return approve_post(client, person, post_id)


def edit(client, person, post_id, **changes):
    return client.patch(f"/api/v1/posts/{post_id}", json=changes, headers=person.headers)


def test_post_carries_its_images_in_order(client, people):
    first, second = upload(client, people["author"]), upload(client, people["author"], images.gif())
    media = [{"id": second, "alt": "Trois couleurs"}, {"id": first, "alt": "Un carré rouge"}]
    post = submit(client, people["author"], media).get_json()
    assert [(m["id"], m["alt"]) for m in post["media"]] == [
        (second, "Trois couleurs"),
        (first, "Un carré rouge"),
    ]
    assert all(len(m["sha256"]) == 64 for m in post["media"])
    assert post["status"] == "pending_review"


@pytest.mark.store_neutral
def test_missing_alt_text_blocks_the_post(client, people):
    post = submit(client, people["author"], [{"id": upload(client, people["author"])}]).get_json()
    assert post["status"] == "blocked"
    assert [(f["rule"], f["image"]) for f in post["findings"]] == [("alt-text", 1)]


def test_someone_elses_upload_cannot_be_attached(client, people):
    theirs = upload(client, people["other"])
    response = submit(client, people["author"], [{"id": theirs, "alt": "x"}])
    assert response.status_code == 404 and response.get_json()["field"] == "media"
    assert submit(client, people["author"], [{"id": 999_999, "alt": "x"}]).status_code == 404


@pytest.mark.store_neutral
def test_more_images_than_the_platform_takes_is_refused(client, people):
    ids = [upload(client, people["author"]) for _ in range(5)]
    response = submit(client, people["author"], [{"id": i, "alt": "x"} for i in ids])
    assert response.status_code == 422 and response.get_json()["field"] == "media"
    assert "4" in response.get_json()["message"]


def test_bad_media_values_are_422(client, people):
    for media in (
        [{"alt": "x"}],
        [{"id": "1", "alt": "x"}],
        [{"id": 0}],
        "nope",
        [{"id": 1, "alt": 5}],
    ):
        response = submit(client, people["author"], media)
        assert response.status_code == 422, media


def _approved(client, people):
    ids = [upload(client, people["author"]), upload(client, people["author"], images.gif())]
    media = [{"id": ids[0], "alt": "Rouge"}, {"id": ids[1], "alt": "Couleurs"}]
    post = submit(client, people["author"], media).get_json()
    approved = approve(client, people["reviewer"], post["id"])
    assert approved.status_code == 200 and approved.get_json()["status"] == "scheduled"
    return approved.get_json(), ids, media


@pytest.mark.store_neutral
@pytest.mark.parametrize("change", ["re-describe", "reorder", "replace", "remove"])
def test_any_change_to_the_images_voids_the_approval(client, people, change):
    post, ids, media = _approved(client, people)
    if change == "re-describe":
        media = [media[0], {"id": ids[1], "alt": "Autre chose"}]
    elif change == "reorder":
        media = [media[1], media[0]]
    elif change == "replace":
        media = [
            media[0],
            {"id": upload(client, people["author"], images.webp()), "alt": "Couleurs"},
        ]
    else:
        media = media[:1]
    edited = edit(client, people["author"], post["id"], media=media)
    assert edited.status_code == 200, edited.get_json()
    after = edited.get_json()
    assert after["content_hash"] != post["content_hash"]
    assert after["status"] == "pending_review" and after["approvals"] == []


def test_same_images_same_hash_and_a_text_edit_keeps_the_images(client, people):
    post, _ids, _media = _approved(client, people)
    kept = edit(client, people["author"], post["id"], text="Nouvelle collection ! (bis)").get_json()
    assert kept["media"] == post["media"]
    back = edit(client, people["author"], post["id"], text=post["text"]).get_json()
    assert back["content_hash"] == post["content_hash"]  # same text, same images: same hash


def test_a_post_whose_images_are_still_being_read_cannot_be_approved(rt, people, actors):
    """With the default settings the text is read by a worker; until then: 409."""
    from gateway import create_app

    client = create_app({"TESTING": True}, settings=rt.settings).test_client()
    media_id = upload(client, people["author"])
    post = submit(client, people["author"], [{"id": media_id, "alt": "Rouge"}]).get_json()
    assert post["status"] == "pending_review"
    refused = approve(client, people["reviewer"], post["id"])
    assert refused.status_code == 409 and refused.get_json()["field"] == "media"
    from postgate.services.media_text import read_pending

    assert read_pending(rt, media_id) == "done"
    assert approve(client, people["reviewer"], post["id"]).status_code == 200
