"""The audit log, takedowns and users lists of the API page with ``limit`` and a signed
``cursor`` too, keeping their answer keys and adding ``next``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postgate.audit import Event
from postgate.store.models import Takedown


@pytest.fixture
def lead(actors):
    return actors.person("sam", "security", "admin")


def walk(client, person, path: str, key: str) -> list[dict]:
    seen, cursor = [], None
    for _ in range(50):
        extra = f"&cursor={cursor}" if cursor else ""
        answer = client.get(f"{path}{extra}", headers=person.headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        seen += body[key]
        cursor = body["next"]
        if cursor is None:
            return seen
    raise AssertionError("the walk does not end")


def test_audit_walks_every_entry_once(client, rt, lead):
    with rt.store.transaction() as db:
        for i in range(120):
            rt.audit(db, Event.POST_CANCEL, actor="robot", target=f"post:{i}")
    seen = walk(client, lead, "/api/v1/audit?limit=50&actor=robot", "entries")
    assert [e["target"] for e in seen] == [f"post:{i}" for i in range(120)]
    newest = walk(client, lead, "/api/v1/audit?limit=50&actor=robot&sort=newest", "entries")
    assert [e["seq"] for e in newest] == [e["seq"] for e in reversed(seen)]
    first = client.get("/api/v1/audit?limit=50&actor=robot", headers=lead.headers).get_json()
    assert first["next_after"] == seen[49]["seq"]  # the old way still works
    foreign = client.get(
        f"/api/v1/audit?limit=50&actor=robot&cursor={first['next']}&action=post:",
        headers=lead.headers,
    )
    assert foreign.status_code == 422 and foreign.get_json()["field"] == "cursor"


def test_cursor_of_one_list_is_refused_by_another(client, rt, lead):
    users = client.get("/api/v1/users?limit=1", headers=lead.headers).get_json()
    assert users["next"] is None or isinstance(users["next"], str)
    with rt.store.transaction() as db:
        for i in range(3):
            rt.audit(db, Event.POST_CANCEL, actor="robot", target=f"post:{i}")
    cursor = client.get("/api/v1/audit?limit=1", headers=lead.headers).get_json()["next"]
    answer = client.get(f"/api/v1/takedowns?cursor={cursor}", headers=lead.headers)
    assert answer.status_code == 422 and answer.get_json()["field"] == "cursor"


def test_users_page_by_name_with_filters(client, actors, lead):
    for name in ("ann", "ben", "cat", "dan", "eve"):
        actors.create(name, "author")
    actors.create("rev", "reviewer")
    seen = walk(client, lead, "/api/v1/users?limit=2", "users")
    names = [u["username"] for u in seen]
    assert names == sorted(names) and {"ann", "eve", "rev", "sam"} <= set(names)
    reviewers = walk(client, lead, "/api/v1/users?limit=2&role=reviewer", "users")
    assert [u["username"] for u in reviewers] == ["rev"]
    assert [u["username"] for u in walk(client, lead, "/api/v1/users?q=E", "users")] == [
        "ben",
        "eve",
        "rev",
    ]


def test_takedowns_page_newest_first(client, rt, lead):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with rt.store.transaction() as db:
        for i in range(7):
            db.add(Takedown(since=start, created_at=start + timedelta(hours=i), account_ids=[]))
    seen = walk(client, lead, "/api/v1/takedowns?limit=3", "takedowns")
    ids = [t["id"] for t in seen]
    assert len(ids) == 7 and ids == sorted(ids, reverse=True)
    later = walk(client, lead, "/api/v1/takedowns?limit=3&since=2026-03-01T04:00:00Z", "takedowns")
    assert len(later) == 3
    bad = client.get("/api/v1/takedowns?limit=500", headers=lead.headers)
    assert bad.status_code == 422 and bad.get_json()["field"] == "limit"
