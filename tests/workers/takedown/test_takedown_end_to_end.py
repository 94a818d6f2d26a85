"""A takedown removes everything in its window with the evidence, and nothing else; it
reports the timeline, and finishes under the platform's rate limit."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from postgate.platforms.base import ConnectorError
from postgate.services.credentials import connector_for_account
from postgate.store.models import Account, Freeze, Post
from sandbox import client as sandbox
from tests.workers.takedown.support import live_texts, start, wait_done


def test_takedown_removes_all_25_posts_with_evidence_and_nothing_else(
    rt, client, actors, scene, workers
):
    lead = actors.person("sam", "security")
    eve = actors.person("eve", "author")
    url = scene["url"]
    assert client.get("/api/v1/posts", headers=eve.headers).status_code == 200
    workers()

    response = start(client, lead, scene["since"], accounts=["acme"])
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["created"] is True and body["status"] in ("running", "done")
    # Frozen and sessions ended before the answer: nothing depends on the job for these.
    with rt.store.session() as db:
        freezes = db.scalars(select(Freeze).where(Freeze.lifted_at.is_(None))).all()
        assert [f.account_id for f in freezes] == [scene["acme"]]
    assert client.get("/api/v1/posts", headers=eve.headers).status_code == 401
    assert client.get("/api/v1/freezes", headers=lead.headers).status_code == 200

    done = wait_done(client, lead, body["id"])
    items = done["items"]
    assert len(items) == 25
    assert sorted(i["origin"] for i in items).count("unauthorized") == 20
    assert {i["outcome"] for i in items} == {"deleted"}
    for item in items:
        evidence = item["evidence"]
        assert evidence["text"] and evidence["created_at"] and evidence["url"]
        assert evidence["remote_id"] == item["remote_id"]
        assert datetime.fromisoformat(evidence["created_at"]) >= scene["since"]
    assert done["progress"]["deleted"] == 25 and done["progress"]["pending"] == 0

    assert live_texts(url, "acme") == {
        "old attacker post 0",
        "old attacker post 1",
        "old legitimate post",
    }
    assert len(sandbox.list_live(url, "other")) == 3
    with rt.store.session() as db:
        posts = db.scalars(select(Post).where(Post.account_id == scene["acme"])).all()
        by_text = {p.text: p for p in posts}
        assert by_text["old legitimate post"].status == "published"
        for i in range(5):
            post = by_text[f"legitimate post {i}"]
            assert post.status == "deleted" and post.evidence["text"] == post.text
        assert db.get(Account, scene["acme"]).status == "compromised"
        assert db.get(Account, scene["other"]).status == "active"
    with rt.store.session() as db:
        account = db.get(Account, scene["acme"])
        with connector_for_account(rt, account) as connector, pytest.raises(ConnectorError):
            connector.verify_credentials()  # the platform token was revoked


def test_incident_report_has_the_timeline(rt, client, actors, scene, workers):
    lead = actors.person("sam", "security")
    workers()
    takedown = start(client, lead, scene["since"], accounts=["acme"]).get_json()
    wait_done(client, lead, takedown["id"])
    report = client.get(f"/api/v1/takedowns/{takedown['id']}/report", headers=lead.headers)
    assert report.status_code == 200
    data = report.get_json()
    events = [e["event"] for e in data["timeline"]]
    assert events[0] == "first_unauthorized_post"
    for needed in ("freeze:set", "takedown:start", "token:revoke", "account:compromised"):
        assert needed in events
    assert events.count("takedown:item") == 25 and events[-1] == "takedown:done"
    assert data["summary"]["first_unauthorized_post_at"] and data["summary"]["frozen_at"]
    assert data["summary"]["outcomes"]["deleted"] == 25
    markdown = client.get(
        f"/api/v1/takedowns/{takedown['id']}/report?format=markdown", headers=lead.headers
    )
    assert markdown.mimetype == "text/markdown"
    text = markdown.get_data(as_text=True)
    assert "# Incident report: takedown" in text and "BUY CRYPTO NOW 7" in text


def test_takedown_under_rate_limit_completes_and_joins(rt, client, actors, scene, workers):
    lead = actors.person("sam", "security")
    url = scene["url"]
    sandbox.set_faults(url, rate_limit="10/2")
    sandbox.get_stats(url, reset=True)
    workers()
    first = start(client, lead, scene["since"], accounts=["acme"]).get_json()
    second = start(client, lead, scene["since"], accounts=["acme", "other"])
    assert second.status_code == 202
    joined = second.get_json()
    assert joined["joined"] == [first["id"]]
    assert [a["name"] for a in joined["accounts"]] == ["other"]

    done = wait_done(client, lead, first["id"], timeout=45)
    assert {i["outcome"] for i in done["items"]} == {"deleted"} and len(done["items"]) == 25
    stats = sandbox.get_stats(url)  # the account's request budget paced it: few 429s if any
    assert stats["rate_limited"] <= stats["requests"] // 10, stats
    assert len(live_texts(url, "acme")) == 3
    wait_done(client, lead, joined["id"], timeout=20)
    assert sandbox.list_live(url, "other") == []
