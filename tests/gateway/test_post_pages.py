"""``GET /api/v1/posts`` pages with ``limit`` and ``cursor`` (CONTRACT.md): every post once,
newest first; a cursor that was edited, forged or made for other filters is a 422 naming
``cursor``; filters by status, account, author, date and text; authors see only theirs."""

from __future__ import annotations

import base64

import pytest

from tests.helpers import make_account
from tests.post_rows import add_posts


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    make_account(actors.rt, "shop")
    found = {
        "alice": actors.person("alice", "author"),
        "erin": actors.person("erin", "author"),
        "bob": actors.person("bob", "reviewer"),
    }
    add_posts(actors.rt, 120, authors=["alice", "erin"], accounts=["acme", "shop"])
    return found


def walk(client, person, query: str = "", limit: int = 50) -> list[dict]:
    seen, cursor, pages = [], None, 0
    while True:
        extra = f"&cursor={cursor}" if cursor else ""
        answer = client.get(f"/api/v1/posts?limit={limit}{query}{extra}", headers=person.headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert len(body["posts"]) <= limit
        seen += body["posts"]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return seen
        assert pages < 50, "the walk does not end"


def test_walk_sees_every_post_once_newest_first(client, people):
    first = client.get("/api/v1/posts", headers=people["bob"].headers).get_json()
    assert len(first["posts"]) == 50 and first["next"]
    seen = walk(client, people["bob"])
    ids = [p["id"] for p in seen]
    assert len(ids) == 120 and len(set(ids)) == 120
    assert ids == sorted(ids, reverse=True)


def test_oldest_first_and_exact_last_page(client, people):
    seen = walk(client, people["bob"], "&sort=oldest", limit=40)
    ids = [p["id"] for p in seen]
    assert ids == sorted(ids) and len(ids) == 120


def test_author_sees_only_theirs_on_every_page(client, people):
    seen = walk(client, people["alice"])
    assert len(seen) == 60 and {p["author"] for p in seen} == {"alice"}
    other = walk(client, people["alice"], "&author=erin")
    assert other == []


def test_filters(client, people):
    bob = people["bob"]
    by_status = walk(client, bob, "&status=scheduled")
    assert len(by_status) == 40 and {p["status"] for p in by_status} == {"scheduled"}
    by_account = walk(client, bob, "&account=SHOP&author=erin")
    assert len(by_account) == 60 and {(p["account"], p["author"]) for p in by_account} == {
        ("shop", "erin")
    }
    dated = walk(client, bob, "&since=2026-01-01T00:10:00Z&until=2026-01-01T00:20:00Z")
    assert sorted(p["text"] for p in dated) == sorted(f"post number {i}" for i in range(10, 20))
    text = walk(client, bob, "&q=NUMBER 11")
    assert sorted(p["text"] for p in text) == [
        "post number 11",
        "post number 110",
        "post number 111",
        "post number 112",
        "post number 113",
        "post number 114",
        "post number 115",
        "post number 116",
        "post number 117",
        "post number 118",
        "post number 119",
    ]
    assert walk(client, bob, "&q=100%25") == []


def first_cursor(client, person, query=""):
    body = client.get(f"/api/v1/posts?limit=10{query}", headers=person.headers).get_json()
    return body["next"]


def refused(client, person, url):
    answer = client.get(url, headers=person.headers)
    assert answer.status_code in (400, 422), answer.data
    return answer.get_json()


def test_tampered_or_foreign_cursor_is_refused(client, people):
    bob = people["bob"]
    cursor = first_cursor(client, bob)
    payload, _, signature = cursor.partition(".")
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = base64.urlsafe_b64encode(decoded.replace(b'"a":', b'"a":1')).rstrip(b"=").decode()
    for bad in (f"{forged}.{signature}", cursor[:-2] + "xx", "garbage", "%00"):
        body = refused(client, bob, f"/api/v1/posts?limit=10&cursor={bad}")
        assert body["field"] == "cursor"
    other = refused(client, bob, f"/api/v1/posts?limit=10&status=scheduled&cursor={cursor}")
    assert other["field"] == "cursor"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("sort=sideways", "sort"),
        ("status=lost", "status"),
        ("since=yesterday", "since"),
        ("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since"),
    ],
)
def test_bad_query_names_the_field(client, people, query, field):
    assert refused(client, people["bob"], f"/api/v1/posts?{query}")["field"] == field
