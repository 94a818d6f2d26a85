"""The evidence archive: one ZIP with each post's full platform record, the incident report
and a manifest of SHA-256 hashes that catches any change."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from sandbox import client as sandbox
from tests.helpers import make_account, sandbox_credentials

pytestmark = pytest.mark.platform_protocol


def test_evidence_zip_holds_every_post_report_and_hashes(rt, client, web, actors, sandbox_url):
    from workers import takedown

    creds = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=creds)
    scam = sandbox.post_direct(sandbox_url, "acme", "Send BTC ../../etc", "private")
    lead = actors.person("sam", "security")
    since = datetime.now(UTC) - timedelta(minutes=1)
    started = client.post(
        "/api/v1/takedowns", json={"since": since.isoformat()}, headers=lead.headers
    ).get_json()
    takedown.execute(rt, started["id"])

    answer = client.get(f"/api/v1/takedowns/{started['id']}/evidence", headers=lead.headers)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    names = archive.namelist()
    assert {"manifest.json", "report.json", "report.md"} <= set(names)
    posts = [n for n in names if n.startswith("posts/")]
    assert len(posts) == 1 and ".." not in posts[0]
    item = json.loads(archive.read(posts[0]))
    assert item["remote_id"] == scam["id"] and item["outcome"] == "deleted"
    record = item["evidence"]["platform_record"]
    assert record["id"] == scam["id"] and record["visibility"] == "private"
    manifest = json.loads(archive.read("manifest.json"))
    hashes = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(hashes) == set(names) - {"manifest.json"}
    for path, digest in hashes.items():
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest
    assert "# Incident report" in archive.read("report.md").decode()

    assert client.get("/api/v1/takedowns/999/evidence", headers=lead.headers).status_code == 404
    author = actors.person("ann", "author")
    assert (
        client.get(
            f"/api/v1/takedowns/{started['id']}/evidence", headers=author.headers
        ).status_code
        == 403
    )
