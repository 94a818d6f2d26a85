"""Many post rows at once, straight into the store, for list tests and the list benchmark
(submitting through the API would run the rules on each, which lists do not need)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from postgate.states import PostStatus
from postgate.store.models import Account, Post, User

STATUSES = (PostStatus.PENDING_REVIEW, PostStatus.SCHEDULED, PostStatus.PUBLISHED)


def add_posts(
    rt: Any,
    count: int,
    *,
    authors: list[str],
    accounts: list[str],
    start: datetime | None = None,
    statuses: tuple[str, ...] = STATUSES,
) -> None:
    """``count`` posts, created one minute apart from ``start``, by ``authors`` and on
    ``accounts`` in turn, the i-th with the text ``post number i``."""
    first = start or datetime(2026, 1, 1, tzinfo=UTC)
    with rt.store.transaction() as db:
        users = {u.username: u.id for u in db.scalars(select(User))}
        places = {a.name: a.id for a in db.scalars(select(Account))}
        rows = [
            {
                "account_id": places[accounts[i % len(accounts)]],
                "author_id": users[authors[i % len(authors)]],
                "text": f"post number {i}",
                "status": statuses[i % len(statuses)],
                "content_hash": f"{i:064x}",
                "links": [],
                "media": [],
                "findings": [],
                "created_at": first + timedelta(minutes=i),
                "updated_at": first + timedelta(minutes=i),
            }
            for i in range(count)
        ]
        db.execute(insert(Post), rows)
