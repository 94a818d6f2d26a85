"""The compose page and ``POST /posts`` warn when a platform's posting quota (the registry's
``post_quota``: Threads 250 posts in 24 hours) would be exceeded by the account's posts
around the new one's time; the post is stored all the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, inspect, select

from postgate.services.quotas import busiest_window
from postgate.store.models import Post
from tests.helpers import make_account

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral

DAY = timedelta(hours=24)
NOON = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)


def test_the_busiest_window_holding_the_moment_is_counted():
    hours = [NOON + timedelta(hours=h) for h in (-30, -20, -5, 0, 3, 23, 25)]
    assert busiest_window(hours, NOON, DAY) == 4  # -20 .. +3, or -5 .. +23
    assert busiest_window([NOON], NOON, DAY) == 1


def _threads_account_with(rt, client, author, count: int, around: datetime) -> None:
    """``count`` posts on Threads spread over the 20 hours before ``around``: one submitted
    through the API, its row copied for the others (as many submissions would leave)."""
    make_account(rt, "thr", platform="threads", credentials={"access_token": "t"})
    first = client.post(
        "/api/v1/posts",
        json={"account": "thr", "text": "Post 0", "scheduled_at": around.isoformat()},
        headers=author.headers,
    )
    assert first.status_code == 201, first.get_json()
    with rt.store.transaction() as db:
        row = db.execute(select(Post.__table__).where(Post.id == first.get_json()["id"])).one()
        values = {c.key: getattr(row, c.key) for c in inspect(Post).columns if c.key != "id"}
        db.execute(
            insert(Post),
            [
                {**values, "scheduled_at": around - timedelta(minutes=5 * n), "text": f"Post {n}"}
                for n in range(1, count)
            ],
        )


def test_the_api_answer_warns_once_the_quota_would_be_exceeded(client, actors, rt):
    ana = actors.person("ana", "author")
    _threads_account_with(rt, client, ana, 250, NOON)
    headers = {**ana.headers, "Accept-Language": "en"}

    over = client.post(
        "/api/v1/posts",
        json={"account": "thr", "text": "One too many", "scheduled_at": NOON.isoformat()},
        headers=headers,
    )
    later = client.post(
        "/api/v1/posts",
        json={"account": "thr", "text": "Next day", "scheduled_at": (NOON + DAY).isoformat()},
        headers=headers,
    )

    assert over.status_code == 201 and over.get_json()["status"] == "pending_review"
    [warning] = over.get_json()["warnings"]
    assert warning["rule"] == "quota" and warning["params"]["count"] == 251
    assert warning["message"] == (
        "Threads publishes at most 250 posts per account in 24 hours; "
        "251 posts of thr would fall within 24 hours of this one."
    )
    assert later.get_json()["warnings"] == []


def test_compose_warns_in_the_live_check_and_after_submitting(client, web, actors, rt):
    author = actors.person("ana", "author")
    _threads_account_with(rt, client, author, 250, NOON)
    web.login(author)
    local = NOON.strftime("%Y-%m-%dT%H:%M")

    body = {"accounts": ["thr"], "text": "Hello", "scheduled_at": local}
    checked = web.submit("/compose/check", page="/compose", json=body)
    [result] = checked.get_json()["results"]
    assert "250" in result["quota"] and "251" in result["quota"]

    sent = web.submit("/compose", accounts="thr", text="Hello", scheduled_at=local)
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-warning"' in page and "251" in page
