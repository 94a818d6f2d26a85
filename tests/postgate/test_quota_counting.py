"""Which of an account's posts a platform's posting quota counts around a new post's time
(``postgate.services.quotas``), and that reading them does not walk every post the account
ever published: every submission to a platform with a quota reads them, while it holds the
audit chain's lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from postgate.platforms.spec import Quota
from postgate.services import quotas
from postgate.states import PostStatus
from postgate.store.models import Account, Post, User
from tests.helpers import make_account
from tests.postgate.service_people import people
from tests.store_plans import history, plan

NOON = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def quota_of_three(monkeypatch):
    """Mastodon's posting quota made three posts an hour, so that a handful of posts tell
    what is counted."""
    spec = quotas.PLATFORMS["mastodon"]
    small = replace(spec, post_quota=Quota(3, 3600))
    monkeypatch.setitem(quotas.PLATFORMS, "mastodon", small)


def _add(rt, account: str, status: str, **times: datetime | None) -> int:
    with rt.store.transaction() as db:
        author = db.scalar(select(User.id).where(User.username == "ana"))
        account_id = db.scalar(select(Account.id).where(Account.name == account))
        row: dict[str, Any] = {
            "account_id": account_id,
            "author_id": author,
            "text": f"{status} {times}",
            "status": status,
            "content_hash": "0" * 64,
            "links": [],
            "media": [],
            "findings": [],
            "scheduled_at": None,
            "published_at": None,
            "created_at": NOON - timedelta(days=30),
            **times,
        }
        return db.execute(insert(Post).returning(Post.id), row).scalar_one()


def _count(rt, post_id: int | None = None) -> int | None:
    with rt.store.session() as db:
        account = db.scalars(select(Account).where(Account.name == "masto")).one()
        warning = quotas.quota_warning(db, account, NOON, post_id=post_id)
    return None if warning is None else warning["params"]["count"]


def test_the_quota_counts_the_accounts_posts_going_out_around_the_new_one(rt, quota_of_three):
    make_account(rt, "masto", platform="mastodon", base_url="https://m.example")
    make_account(rt, "other", platform="mastodon", base_url="https://m.example")
    people(rt, ana=("author",))
    counted = [
        _add(rt, "masto", PostStatus.PUBLISHED, published_at=NOON - 10 * MINUTE),
        # Published, its moment unknown: its scheduled time stands in.
        _add(rt, "masto", PostStatus.PUBLISHED, scheduled_at=NOON - 20 * MINUTE),
        _add(rt, "masto", PostStatus.SCHEDULED, scheduled_at=NOON + 15 * MINUTE),
        _add(rt, "masto", PostStatus.PUBLISHING, scheduled_at=NOON + 5 * MINUTE),
        # In review, to go as soon as approved: its creation stands in.
        _add(rt, "masto", PostStatus.PENDING_REVIEW, created_at=NOON - 5 * MINUTE),
    ]
    # Published long before, or a time within the window that is not its moment.
    _add(rt, "masto", PostStatus.PUBLISHED, published_at=NOON - 2 * timedelta(hours=1))
    _add(
        rt,
        "masto",
        PostStatus.PUBLISHED,
        published_at=NOON - 3 * timedelta(hours=1),
        scheduled_at=NOON,
    )
    for status in (
        PostStatus.REJECTED,
        PostStatus.DRAFT,
        PostStatus.FAILED,
        PostStatus.CANCELLED,
        PostStatus.BLOCKED,
    ):
        _add(rt, "masto", status, scheduled_at=NOON)
    _add(rt, "other", PostStatus.PUBLISHED, published_at=NOON)

    assert _count(rt) == len(counted) + 1  # and the new post itself
    assert _count(rt, post_id=counted[0]) == len(counted)  # a stored post counted once


def test_the_published_posts_are_read_by_a_range_of_their_index(rt) -> None:
    """The published posts are read through the index on the account, the status and the
    publication time, bounded by the window: a filter on a computed time walked every post
    the account ever published (20 ms a submission after 100,000 of them). The account has
    a history, and the store's statistics know it, as a store in use would."""
    make_account(rt, "masto", platform="mastodon", base_url="https://m.example")
    people(rt, ana=("author",))
    history(rt, "masto", "ana", 3000)
    params = {"account": 1, "after": NOON - MINUTE, "before": NOON + MINUTE, "exclude": -1}
    with rt.store.transaction() as db:
        found = plan(db, quotas._COUNTED_TIMES, params)
    lines = found.splitlines()
    # SQLite names an index's bounds on its line; PostgreSQL on the next ("Index Cond").
    bounds = [
        line + (lines[i + 1] if i + 1 < len(lines) and "Index Cond" in lines[i + 1] else "")
        for i, line in enumerate(lines)
        if "ix_posts_account_status_published" in line
    ]
    assert any("published_at >" in b or "published_at>?" in b for b in bounds), found
