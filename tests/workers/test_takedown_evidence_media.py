"""A takedown keeps the posts' images: downloaded before anything is changed, with their
SHA-256, in the evidence ZIP and on the console's takedown page.

The attacker posts through the Mastodon API with the stolen token, as on a real server:
``POST /api/v2/media`` with a description, then a status naming it; the sandbox lists it in
``media_attachments`` with its ``url`` (https://docs.joinmastodon.org/entities/MediaAttachment/).
The takedown job runs in this process.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from postgate.services import evidence_media
from postgate.store.models import Account
from tests.helpers import make_account, sandbox_credentials
from tests.images import png

pytestmark = pytest.mark.platform_protocol


def attack_with_image(url: str, token: str, image: bytes, alt: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    media = httpx.post(
        url + "/api/v2/media",
        headers=auth,
        files={"file": ("x.png", image, "image/png")},
        data={"description": alt},
    )
    assert media.status_code in (200, 202), media.text
    status = httpx.post(
        url + "/api/v1/statuses",
        headers=auth,
        json={"status": "SCAM: see the picture", "media_ids": [media.json()["id"]]},
    )
    assert status.status_code == 200, status.text


@pytest.fixture
def taken_down(rt, client, actors, sandbox_url):
    """A takedown of acme, after the attacker posted one image; (lead, takedown id, bytes)."""
    from workers import takedown

    credentials = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    image = png(metadata=False)
    attack_with_image(sandbox_url, credentials["token"], image, "a fake voucher")
    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    started = client.post(
        "/api/v1/takedowns",
        json={"since": since.isoformat(), "accounts": ["acme"]},
        headers=lead.headers,
    )
    assert started.status_code == 202, started.get_json()
    takedown.execute(rt, started.get_json()["id"])
    return lead, started.get_json()["id"], image


def test_the_attackers_image_is_kept_with_its_hash_and_description(client, taken_down):
    lead, takedown_id, image = taken_down
    body = client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).get_json()
    (item,) = body["items"]
    assert item["outcome"] == "deleted"
    (kept,) = item["evidence"]["media"]
    assert kept["sha256"] == hashlib.sha256(image).hexdigest()
    assert (kept["description"], kept["mime"], kept["bytes"]) == (
        "a fake voucher",
        "image/png",
        len(image),
    )


def test_the_evidence_zip_holds_the_image_in_its_manifest(client, taken_down):
    lead, takedown_id, image = taken_down
    answer = client.get(f"/api/v1/takedowns/{takedown_id}/evidence", headers=lead.headers)
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    digest = hashlib.sha256(image).hexdigest()
    assert archive.read(f"media/{digest}.png") == image
    manifest = json.loads(archive.read("manifest.json"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed[f"media/{digest}.png"] == digest


def test_the_console_shows_the_image_with_its_alt_text_to_the_lead_only(
    client, web, actors, taken_down
):
    _, takedown_id, image = taken_down
    digest = hashlib.sha256(image).hexdigest()
    web.login(actors.person("lea", "security"))
    page = web.client.get(f"/security/takedowns/{takedown_id}").get_data(as_text=True)
    src = f"/security/takedowns/{takedown_id}/media/{digest}"
    assert f'src="{src}"' in page and 'alt="a fake voucher"' in page
    shown = web.client.get(src)
    assert shown.status_code == 200 and shown.data == image
    assert web.client.get(f"/security/takedowns/{takedown_id}/media/{'0' * 64}").status_code == 404
    web.logout()
    web.login(actors.person("rita", "reviewer"))
    assert web.client.get(src).status_code == 403


def test_downloads_are_bounded_and_never_reach_private_addresses(rt, sandbox_url, monkeypatch):
    account = Account(name="acme", platform="mastodon", base_url="https://mastodon.example")
    inside = {
        "media_attachments": [{"url": "http://169.254.169.254/latest/meta-data", "type": "image"}]
    }
    (refused,) = evidence_media.capture(rt, account, inside)
    assert "sha256" not in refused and "refused" in refused["error"]

    monkeypatch.setattr(evidence_media, "MAX_BYTES", 10)
    with pytest.raises(evidence_media.DownloadFailed, match="larger than 10 bytes"):
        evidence_media.download(rt, "sandbox", sandbox_url + "/api/v2/instance")


def test_neutralising_removes_the_image_too(rt, sandbox_url):
    """The holding text replaces the attacker's text and the edit drops the media
    (``media_ids: []``): without it Mastodon keeps them, and the image stays readable
    while the post waits for the deletion limit."""
    from postgate.services.credentials import connector_for_account

    credentials = sandbox_credentials(sandbox_url, "acme")
    account_id = make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    attack_with_image(sandbox_url, credentials["token"], png(metadata=False), "a fake voucher")
    with rt.store.session() as db:
        with connector_for_account(rt, db.get(Account, account_id)) as connector:
            (post,) = connector.list_recent(since=None, limit=None)
            assert len(post.raw["media_attachments"]) == 1
            assert connector.edit(post.remote_id, "Removed.") == "neutralised"
            (after,) = connector.list_recent(since=None, limit=None)
    assert after.text == "Removed." and after.raw["media_attachments"] == []
