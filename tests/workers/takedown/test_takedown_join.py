"""A second press: joining never narrows the running takedown, a widened window survives a
killed worker and a late check, and every press ends sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from postgate.store.models import Post, Takedown
from sandbox import client as sandbox
from tests.helpers import make_account
from tests.workers.takedown.support import (
    audit_entries,
    kill,
    layer_texts,
    live_texts,
    start,
    wait_done,
    wait_progress,
)


def test_joining_with_an_earlier_since_widens_the_running_takedown(
    rt, client, actors, layers, workers
):
    """A runs slowly on acme and other since t1; B asks acme since t0 < t1 while A runs.
    B joins A (no second takedown on acme), acme's early posts go too, with evidence, while
    other keeps its window; a session opened after A (the attacker again) ends with B."""
    lead = actors.person("sam", "security")
    url, t0, t1 = layers["url"], layers["t0"], layers["t1"]
    sandbox.set_faults(url, latency_ms=500)
    workers()
    first = start(client, lead, t1, accounts=["acme", "other"]).get_json()
    assert first["created"] is True
    wait_progress(client, lead, first["id"], deleted=1)
    eve = actors.person("eve", "author")  # logged in after the first press
    assert client.get("/api/v1/posts", headers=eve.headers).status_code == 200

    second = start(client, lead, t0, accounts=["acme"])
    assert second.status_code == 202, second.get_json()
    joined = second.get_json()
    assert joined["created"] is False and joined["joined"] == [first["id"]]
    assert joined["id"] == first["id"] and joined["widened"] == ["acme"]
    assert joined["status"] == "running"  # it joined a takedown that was still at work
    assert joined["sessions_ended"] >= 1
    assert client.get("/api/v1/posts", headers=eve.headers).status_code == 401
    assert client.get("/api/v1/takedowns", headers=lead.headers).status_code == 200
    followed = client.get(f"/api/v1/takedowns/{first['id']}", headers=lead.headers).get_json()
    assert datetime.fromisoformat(followed["since"]) == t0
    assert datetime.fromisoformat(followed["windows"]["acme"]) == t0
    assert datetime.fromisoformat(followed["windows"]["other"]) == t1
    with rt.store.session() as db:
        assert db.query(Takedown).count() == 1

    sandbox.set_faults(url, latency_ms=50)
    done = wait_done(client, lead, first["id"], timeout=60)
    items = {i["evidence"]["text"]: i for i in done["items"]}
    expected = layer_texts("early", "acme", 2) | layer_texts("recent", "acme", 6)
    expected |= layer_texts("recent", "other", 6)
    assert set(items) == expected
    for text in layer_texts("early", "acme", 2):
        item = items[text]
        assert item["outcome"] == "deleted", item
        assert item["evidence"]["created_at"] and item["evidence"]["url"]
        assert t0 <= datetime.fromisoformat(item["evidence"]["created_at"]) < t1
    assert {i["outcome"] for i in done["items"]} == {"deleted"}
    assert live_texts(url, "acme") == layer_texts("ancient", "acme", 1)
    assert live_texts(url, "other") == layer_texts("ancient", "other", 1) | layer_texts(
        "early", "other", 2
    )
    with rt.store.session() as db:
        early = db.scalar(select(Post).where(Post.text == "early legitimate post on acme"))
        assert early.status == "deleted" and early.evidence["text"] == early.text
        ancient = db.scalar(select(Post).where(Post.text == "ancient legitimate post on acme"))
        assert ancient.status == "published"

    widening = [e for e in audit_entries(rt, "account:takedown") if e.target == "account:acme"]
    assert len(widening) == 1 and widening[0].actor == "sam"
    assert datetime.fromisoformat(widening[0].details["widened_from"]) == t1
    assert datetime.fromisoformat(widening[0].details["since"]) == t0
    ended = [e for e in audit_entries(rt, "token:revoke") if e.target == f"takedown:{first['id']}"]
    assert [e.details["created"] for e in ended] == [True, False]
    revoked = {e.target: e.details for e in audit_entries(rt, "account:compromised")}
    assert datetime.fromisoformat(revoked["account:acme"]["since"]) == t0
    report = client.get(f"/api/v1/takedowns/{first['id']}/report", headers=lead.headers)
    events = [e for e in report.get_json()["timeline"] if e["event"] == "account:takedown"]
    assert len(events) == 1 and "window widened from" in events[0]["summary"], events
    compromised = report.get_json()["summary"]["accounts_compromised"]
    assert sorted(compromised) == ["account:acme", "account:other"]


@pytest.mark.postgresql_pass  # a crash shape of production's workers, on its store
def test_a_widened_takedown_survives_a_killed_worker(rt, client, actors, layers, workers):
    """The widening is in the store: the run that replaces a killed one still goes back to
    t0, though the killed run never saw the widening."""
    lead = actors.person("sam", "security")
    url, t0, t1 = layers["url"], layers["t0"], layers["t1"]
    sandbox.set_faults(url, latency_ms=400)
    first_worker = workers()
    first = start(client, lead, t1, accounts=["acme"]).get_json()
    wait_progress(client, lead, first["id"], deleted=2)
    joined = start(client, lead, t0, accounts=["acme"]).get_json()
    assert joined["joined"] == [first["id"]] and joined["widened"] == ["acme"]
    kill(first_worker)
    body = client.get(f"/api/v1/takedowns/{first['id']}", headers=lead.headers).get_json()
    assert body["status"] == "running"
    sandbox.set_faults(url, latency_ms=50)
    workers()
    done = wait_done(client, lead, first["id"], timeout=60)
    texts = {i["evidence"]["text"] for i in done["items"]}
    assert texts == layer_texts("early", "acme", 2) | layer_texts("recent", "acme", 6)
    assert {i["outcome"] for i in done["items"]} <= {"deleted", "not_found"}
    assert live_texts(url, "acme") == layer_texts("ancient", "acme", 1)


def test_widening_after_the_last_check_is_done_again_not_lost(
    rt, client, actors, layers, monkeypatch
):
    """The window is widened between acme's last check and the run marking the takedown
    done (a hook slips the request in at exactly that moment; the run is in process). The
    run takes acme up again instead of finishing. Its credentials are revoked by then, so
    the early posts cannot be listed or deleted any more: the report says so (Postgate's own
    early post as failed, with the platform's reason; the listing failure in the log)."""
    from postgate.services.takedown_dispatch import lease_key
    from workers import takedown as job
    from workers.lease import Lease

    lead = actors.person("sam", "security")
    first = start(client, lead, layers["t1"], accounts=["acme"]).get_json()
    original, calls, answers = job.TakedownRun._run_accounts, [], []

    def run_then_widen(self, account_ids):
        original(self, account_ids)
        calls.append(list(account_ids))
        if len(calls) == 1:
            answers.append(start(client, lead, layers["t0"], accounts=["acme"]).get_json())

    monkeypatch.setattr(job.TakedownRun, "_run_accounts", run_then_widen)
    lease = Lease(rt.redis, lease_key(rt, first["id"]))
    assert lease.acquire()
    try:
        job.TakedownRun(rt, first["id"], lease).run()
    finally:
        lease.release()

    acme = layers["ids"]["acme"]
    assert calls == [[acme], [acme]]
    joined = answers[0]
    assert joined["joined"] == [first["id"]] and joined["status"] == "running"
    assert joined["widened"] == ["acme"] and joined["widened_after_revocation"] == ["acme"]
    done = client.get(f"/api/v1/takedowns/{first['id']}", headers=lead.headers).get_json()
    assert done["status"] == "done_with_gaps"
    assert "widened after the credential was revoked" in done["accounts"][0]["gaps"]
    items = {i["evidence"]["text"]: i for i in done["items"]}
    for text in layer_texts("recent", "acme", 6):
        assert items.pop(text)["outcome"] == "deleted"
    early = items.pop("early legitimate post on acme")
    assert early["outcome"] == "failed" and early["reason"] and early["evidence"]["url"]
    assert items == {}
    listing = [
        e.details for e in audit_entries(rt, "takedown:item") if "listing_failed" in e.details
    ]
    assert listing and {d["account"] for d in listing} == {"acme"}  # discovery and a sweep
    revoked = [e.details for e in audit_entries(rt, "account:compromised")]
    assert [d["credentials_revoked"] for d in revoked] == [True, True]
    assert revoked[1]["reason"] == "revoked earlier by this takedown"
    assert datetime.fromisoformat(revoked[1]["since"]) == layers["t0"]
    expected_live = layer_texts("ancient", "acme", 1) | layer_texts("early", "acme", 2)
    assert live_texts(layers["url"], "acme") == expected_live


def test_every_press_ends_sessions_and_tokens_even_when_it_only_joins(rt, client, actors):
    """A session and an API token made after the first press (the attacker back in) end
    with the second press, which only joins; ``users`` limits it to those people, and a
    wrong ``users`` is refused before anything is done."""

    make_account(rt, "acme")
    lead = actors.person("sam", "security")
    first = start(client, lead, datetime.now(UTC) - timedelta(hours=1), accounts=["acme"])
    assert first.get_json()["created"] is True
    eve, mallory = actors.person("eve", "author"), actors.person("mallory", "author")
    made = client.post(
        "/api/v1/tokens", json={"name": "script", "otp": mallory.code()}, headers=mallory.headers
    )
    assert made.status_code == 201, made.get_json()
    script = {"Authorization": f"Bearer {made.get_json()['token']}"}
    since = datetime.now(UTC) - timedelta(hours=2)

    def alive(headers) -> bool:
        return client.get("/api/v1/me", headers=headers).status_code == 200

    for users in (["mallory", "nobody"], []):
        refused = start(client, lead, since, accounts=["acme"], users=users)
        assert refused.status_code == 422 and refused.get_json()["field"] == "users"
    assert alive(eve.headers) and alive(mallory.headers) and alive(script)
    assert audit_entries(rt, "account:takedown") == []  # nothing was done

    only = start(client, lead, since, accounts=["acme"], users=["mallory"]).get_json()
    assert only["created"] is False and only["joined"] == [first.get_json()["id"]]
    assert only["sessions_ended"] == 2
    assert not alive(mallory.headers) and not alive(script)
    assert alive(eve.headers) and alive(lead.headers)

    everyone = start(client, lead, since, accounts=["acme"]).get_json()
    assert everyone["created"] is False and everyone["sessions_ended"] == 1
    assert not alive(eve.headers) and alive(lead.headers)
    ended = audit_entries(rt, "token:revoke")
    assert [e.details["users"] for e in ended] == ["all", ["mallory"], "all"]
    assert {e.target for e in ended} == {f"takedown:{first.get_json()['id']}"}
    with rt.store.session() as db:
        assert db.query(Takedown).count() == 1
