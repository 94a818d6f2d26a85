"""The review queue and "My posts" pages go page by page (Previous / Next) with filters,
instead of stopping at 200 rows; the queue rejects several posts with one reason, each
audited, all or none."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from postgate.store.models import AuditEntry, Post
from tests.helpers import make_account
from tests.post_rows import add_posts

ROW = re.compile(r'name="posts" value="(\d+)"')
MINE = re.compile(r'href="/posts/(\d+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREV = re.compile(r'rel="prev" href="([^"]+)"')


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    make_account(actors.rt, "shop")
    found = {
        "alice": actors.create("alice", "author"),
        "erin": actors.create("erin", "author"),
        "bob": actors.create("bob", "reviewer"),
    }
    add_posts(
        actors.rt,
        120,
        authors=["alice", "erin"],
        accounts=["acme", "shop"],
        statuses=("pending_review",),
    )
    return found


def walk(client, url: str, pattern: re.Pattern) -> tuple[list[int], list[str]]:
    seen, pages = [], []
    while url:
        page = client.get(url.replace("&amp;", "&"))
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        pages.append(body)
        seen += [int(i) for i in pattern.findall(body)]
        found = NEXT.search(body)
        url = found.group(1) if found else ""
        assert len(pages) < 20
    return seen, pages


def test_queue_pages_through_every_waiting_post_oldest_first(web, people):
    web.login(people["bob"])
    seen, pages = walk(web.client, "/review", ROW)
    assert len(pages) == 3 and len(seen) == 120 and seen == sorted(seen)
    assert PREV.search(pages[1]) and not PREV.search(pages[0])
    back = web.client.get(PREV.search(pages[2]).group(1).replace("&amp;", "&"))
    assert [int(i) for i in ROW.findall(back.get_data(as_text=True))] == seen[50:100]


def test_queue_filters(web, people):
    web.login(people["bob"])
    seen, _ = walk(web.client, "/review?account=shop&author=erin&sort=newest", ROW)
    assert len(seen) == 60 and seen == sorted(seen, reverse=True)
    few, _ = walk(web.client, "/review?q=number+11", ROW)
    assert len(few) == 11
    assert web.client.get("/review?since=someday").status_code == 422


def test_authors_see_only_their_own_across_pages(web, people, rt):
    web.login(people["alice"])
    seen, pages = walk(web.client, "/posts", MINE)
    with rt.store.session() as db:
        hers = set(db.scalars(select(Post.id).where(Post.author.has(username="alice"))))
    assert len(pages) == 2 and set(seen) == hers and len(hers) == 60
    assert walk(web.client, "/posts?author=erin", MINE)[0] == []  # never someone else's


def test_bulk_reject_audits_each_post(web, people, rt):
    web.login(people["bob"])
    chosen = [int(i) for i in ROW.findall(web.client.get("/review").get_data(as_text=True))][:3]
    answer = web.submit(
        "/review/reject-selected", {"posts": chosen}, page="/review", reason="Off brand"
    )
    assert answer.status_code == 302
    with rt.store.session() as db:
        posts = [db.get(Post, i) for i in chosen]
        assert {(p.status, p.reason) for p in posts} == {("rejected", "Off brand")}
        targets = db.scalars(select(AuditEntry.target).where(AuditEntry.action == "post:reject"))
        assert sorted(targets) == sorted(f"post:{i}" for i in chosen)


def test_bulk_reject_is_all_or_none(web, people, rt):
    web.login(people["bob"])
    ids = [int(i) for i in ROW.findall(web.client.get("/review").get_data(as_text=True))][:2]
    with rt.store.transaction() as db:
        db.get(Post, ids[1]).status = "cancelled"
    answer = web.submit("/review/reject-selected", {"posts": ids}, page="/review", reason="No")
    assert answer.status_code == 409
    assert f"post #{ids[1]}" in answer.get_data(as_text=True)
    with rt.store.session() as db:
        assert db.get(Post, ids[0]).status == "pending_review"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"posts": [], "reason": "No"}, "Select at least one post."),
        ({"posts": ["1"], "reason": ""}, "Give a reason."),
    ],
)
def test_bulk_reject_needs_posts_and_a_reason(web, people, data, error):
    web.login(people["bob"])
    answer = web.submit("/review/reject-selected", data, page="/review")
    assert answer.status_code == 422 and error in answer.get_data(as_text=True)


def test_own_posts_are_never_rejected_in_bulk(web, actors, people, rt):
    both = actors.create("dave", "author", "reviewer")
    add_posts(rt, 1, authors=["dave"], accounts=["acme"], statuses=("pending_review",))
    web.login(both)
    with rt.store.session() as db:
        own = db.scalar(select(Post.id).where(Post.author.has(username="dave")))
    assert own not in [
        int(i) for i in ROW.findall(web.client.get("/review").get_data(as_text=True))
    ]
    answer = web.submit("/review/reject-selected", {"posts": [own]}, page="/review", reason="x")
    assert answer.status_code == 403


def test_all_posts_page_for_security(web, actors, people):
    web.login(actors.create("sam", "security"))
    seen, pages = walk(web.client, "/posts/all?status=pending_review", MINE)
    assert len(pages) == 3 and len(set(seen)) == 120 and seen == sorted(seen, reverse=True)
    web.login(people["alice"])
    assert web.client.get("/posts/all").status_code == 403


def test_takedowns_page_pages(web, actors, rt):
    from datetime import UTC, datetime

    from postgate.store.models import Takedown

    start = datetime(2026, 3, 1, tzinfo=UTC)
    with rt.store.transaction() as db:
        db.add_all(Takedown(since=start, created_at=start, account_ids=[]) for _ in range(55))
    web.login(actors.create("sam", "security"))
    seen, pages = walk(web.client, "/security/takedowns", re.compile(r'/security/takedowns/(\d+)"'))
    assert len(pages) == 2 and len(set(seen)) == 55
    assert web.client.get("/security/takedowns?status=lost").status_code == 422
    assert web.client.get("/security/takedowns?cursor=forged").status_code == 422


def test_audit_page_filters_by_date(web, actors, rt):
    from datetime import UTC, datetime

    web.login(actors.create("sam", "security"))
    with rt.store.transaction() as db:
        at = datetime(2026, 2, 3, 12, tzinfo=UTC)
        rt.audit(db, "post:cancel", actor="robot", target="post:7", at=at)
    hit = web.client.get("/security/audit?since=2026-02-03&until=2026-02-03")
    assert "post:7" in hit.get_data(as_text=True)
    miss = web.client.get("/security/audit?since=2026-02-04")
    assert "post:7" not in miss.get_data(as_text=True)
    assert web.client.get("/security/audit?until=03/02/2026").status_code == 422


def test_users_page_pages_and_filters(web, actors):
    for i in range(55):
        actors.create(f"user{i:02d}", "author")
    web.login(actors.create("sam", "security"))
    row = re.compile(r'<th scope="row">([a-z0-9]+)</th>')
    first = web.client.get("/security/users?q=user").get_data(as_text=True)
    second_url = NEXT.search(first).group(1).replace("&amp;", "&")
    second = web.client.get(second_url).get_data(as_text=True)
    shown = row.findall(first) + row.findall(second)
    assert shown == [f"user{i:02d}" for i in range(55)] and not NEXT.search(second)
    assert web.client.get("/security/users?role=king").status_code == 422
    only = web.client.get("/security/users?role=security").get_data(as_text=True)
    assert row.findall(only) == ["sam"] and not NEXT.search(only)
