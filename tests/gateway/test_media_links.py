"""The webhook platform's images: each one's SHA-256 and a signed, expiring link to it on
Postgate, which opens that one image without a login, and nothing else (issue 13)."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from postgate.media.links import download_link, link_key
from postgate.services.setup import load_web_secret
from postgate.store.types import utcnow
from tests import images
from tests.helpers import make_account

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def uploaded(client, actors):
    make_account(actors.rt, "acme")
    author = actors.person("alice", "author")
    sent = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(images.png()), "a.png")},
        headers=author.headers,
        content_type="multipart/form-data",
    ).get_json()
    return sent


def _link(rt, item, now=None):
    key = link_key(load_web_secret(rt))
    url, _ = download_link("http://x", key, item["id"], item["sha256"], now or utcnow())
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_a_signed_link_opens_the_image_without_a_login(client, rt, uploaded):
    path, query = _link(rt, uploaded)
    served = client.get(path, query_string=query)
    assert served.status_code == 200
    assert hashlib.sha256(served.get_data()).hexdigest() == uploaded["sha256"]


def test_a_tampered_expired_or_foreign_link_is_refused(client, rt, uploaded):
    path, query = _link(rt, uploaded)
    assert client.get(path, query_string={**query, "sig": "0" * 64}).status_code == 403
    later = str(int(query["expires"]) + 3600)
    assert client.get(path, query_string={**query, "expires": later}).status_code == 403
    assert client.get(path).status_code == 403
    old_path, old = _link(rt, uploaded, now=utcnow() - timedelta(days=2))
    assert client.get(old_path, query_string=old).status_code == 403
    other = client.get(f"/media/download/{uploaded['id'] + 1}", query_string=query)
    assert other.status_code == 404
