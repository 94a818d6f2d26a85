"""``POST /api/v1/review/reject``: several posts rejected with one reason, each as its single
reject would be (its own audit entry), a refusal reported per id without stopping the rest."""

from __future__ import annotations

from sqlalchemy import select

from postgate.store.models import AuditEntry, Post
from tests.helpers import make_account
from tests.postgate.service_people import submitted


def test_bulk_reject_reports_each_post(rt, client, actors):
    make_account(rt, "acme")
    actors.person("ana", "author")
    rev = actors.person("rev", "reviewer", "author")
    waiting = [submitted(rt, "ana") for _ in range(3)]
    own = submitted(rt, "rev")
    with rt.store.transaction() as db:
        db.get(Post, waiting[2]).status = "cancelled"
    body = {"ids": [waiting[0], waiting[1], waiting[2], own, 999999, waiting[0]], "reason": "Off"}
    answer = client.post("/api/v1/review/reject", json=body, headers=rev.headers)
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    assert (shown["rejected"], shown["refused"]) == (2, 3)
    results = {r["id"]: r for r in shown["results"]}
    assert list(results) == [waiting[0], waiting[1], waiting[2], own, 999999]  # once each
    assert results[waiting[0]]["ok"] and results[waiting[0]]["post"]["status"] == "rejected"
    assert (results[waiting[2]]["status"], results[waiting[2]]["error"]) == (409, "conflict")
    assert results[own]["status"] == 403 and not results[own]["ok"]
    assert results[999999]["status"] == 404
    with rt.store.session() as db:
        assert db.get(Post, waiting[1]).reason == "Off"
        assert db.get(Post, own).status == "pending_review"
        targets = db.scalars(select(AuditEntry.target).where(AuditEntry.action == "post:reject"))
        assert sorted(targets) == sorted(f"post:{i}" for i in waiting[:2])


def test_bulk_reject_refuses_bad_bodies_naming_the_field(rt, client, actors):
    rev = actors.person("rev", "reviewer")
    ana = actors.person("ana", "author")
    url = "/api/v1/review/reject"
    for body, field in [
        ({"ids": [], "reason": "No"}, "ids"),
        ({"ids": ["x"], "reason": "No"}, "ids"),
        ({"ids": [1]}, "reason"),
        ({"ids": [1], "reason": "   "}, "reason"),
        ({"ids": list(range(1, 300)), "reason": "No"}, "ids"),
    ]:
        answer = client.post(url, json=body, headers=rev.headers)
        assert answer.status_code == 422, (body, answer.get_json())
        assert answer.get_json()["field"].startswith(field), answer.get_json()
    refused = client.post(url, json={"ids": [1], "reason": "No"}, headers=ana.headers)
    assert refused.status_code == 403
