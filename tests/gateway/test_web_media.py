"""Images on the pages: the compose page uploads them (metadata removed, said on the page),
keeps their order and alt text, the live check reads them, and the post and review pages
show each image with its alt text, what was read in it and what changed (issue 13)."""

from __future__ import annotations

import io
import json
import re

import pytest

from postgate.services.media_text import read_pending
from tests import images
from tests.gateway.test_image_findings import poster
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


@pytest.fixture
def author(web, actors, rt):
    make_account(rt, "acme")
    person = actors.create("ana", "author")
    web.login(person)
    return person


def _upload(web, data: bytes) -> dict:
    token = web.csrf("/compose")
    answer = web.client.post(
        "/media/upload",
        data={"file": (io.BytesIO(data), "promo.png")},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def test_compose_page_offers_images_and_says_metadata_is_removed(client, author):
    page = client.get("/compose", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'type="file"' in page and "image/jpeg,image/png,image/webp,image/gif" in page
    assert "GPS position, camera serial number, author" in page and "is removed" in page


def test_upload_from_the_page_needs_csrf_and_strips_metadata(client, web, author):
    refused = client.post(
        "/media/upload",
        data={"file": (io.BytesIO(images.jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    sent = _upload(web, images.jpeg())
    kept = client.get(sent["url"])
    assert kept.status_code == 200 and images.SERIAL.encode() not in kept.get_data()


def test_compose_with_images_then_the_pages_show_them(client, web, author, rt):
    first = _upload(web, poster(["SOLDES", "Lampe Lumen", "3,49 €"]))
    second = _upload(web, images.png())
    media = json.dumps(
        [{"id": second["id"], "alt": "Logo"}, {"id": first["id"], "alt": "Affiche soldes"}]
    )
    check = web.submit(
        "/compose/check",
        page="/compose",
        json={"accounts": ["acme"], "text": "Soldes !", "media": [{"id": first["id"], "alt": ""}]},
    ).get_json()["results"][0]
    assert any(f["rule"] == "alt-text" and f["image"] == 1 for f in check["findings"])
    made = web.submit("/compose", accounts="acme", text="Nos soldes !", media=media)
    assert made.status_code == 302, made.get_data(as_text=True)
    read_pending(rt, first["id"])
    detail = client.get(made.headers["Location"], headers={"Accept-Language": "en"})
    page = detail.get_data(as_text=True)
    order = [int(n) for n in re.findall(r'src="/media/(\d+)"', page)]
    # the post's images, then the platform's preview of the post showing them the same way
    assert order == [second["id"], first["id"]] * 2
    assert 'alt="Affiche soldes"' in page and "Alt text: Logo" in page
    assert "Text read in the image" in page and "Lampe Lumen" in page
    assert "Image 2" in page and "Read in the image:" in page  # the price finding


def test_review_page_shows_images_and_their_changes(client, web, actors, rt, author):
    from postgate.services import posts as post_service
    from postgate.store.models import User

    first = _upload(web, images.png())
    second = _upload(web, images.gif())
    media = json.dumps([{"id": first["id"], "alt": "Rouge"}])
    made = web.submit("/compose", accounts="acme", text="Nouveauté", media=media)
    post_id = int(made.headers["Location"].rsplit("/", 1)[1])
    for upload in (first, second):
        read_pending(rt, upload["id"])
    with rt.store.transaction() as db:
        ana = db.query(User).filter_by(username="ana").one()
        changes = {"media": [{"id": second["id"], "alt": "Trois couleurs"}]}
        post_service.edit(rt, db, ana, post_id, changes)
    reviewer = actors.create("rita", "reviewer")
    other = web.another()
    other.login(reviewer)
    page = other.client.get(f"/review/{post_id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'src="/media/{second["id"]}"' in html and 'alt="Trois couleurs"' in html
    assert "Images changed" in html and "<del>Rouge" in html and "<ins>Trois couleurs" in html
    assert other.client.get(f"/media/{second['id']}").status_code == 200


def test_the_calendar_shows_a_posts_images_with_their_alt_text(client, web, author, rt):
    first = _upload(web, images.png())
    media = json.dumps([{"id": first["id"], "alt": "Un carré rouge"}])
    made = web.submit(
        "/compose",
        accounts="acme",
        text="Au calendrier",
        scheduled_at="2030-06-01T09:00",
        media=media,
    )
    assert made.status_code == 302
    page = client.get("/calendar?account=acme&start=2030-06-01").get_data(as_text=True)
    assert f'src="/media/{first["id"]}"' in page and 'alt="Un carré rouge"' in page
