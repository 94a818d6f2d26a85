"""Many post rows at once, straight into the store, for list tests, plan tests and the
benchmarks (submitting through the API would run the rules on each, which they do not
need)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

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
    step: timedelta = timedelta(minutes=1),
    number_from: int = 0,
    went_out: bool = False,
) -> None:
    """``count`` posts, created ``step`` apart from ``start`` (a negative step goes back in
    time), by ``authors`` and on ``accounts`` in turn, the i-th with the text ``post number
    i`` (i counting from ``number_from``). With ``went_out``, as if they had gone to the
    platform: each holds the platform id ``remote-i``, and a published one its publication
    time (its creation's)."""
    if count <= 0:
        return  # an INSERT of no rows would be one row of defaults
    first = start or datetime(2026, 1, 1, tzinfo=UTC)
    with rt.store.transaction() as db:
        users = {u.username: u.id for u in db.scalars(select(User))}
        places = {a.name: a.id for a in db.scalars(select(Account))}
        rows = []
        for n in range(count):
            i, at, status = number_from + n, first + step * n, statuses[n % len(statuses)]
            rows.append(
                {
                    "account_id": places[accounts[n % len(accounts)]],
                    "author_id": users[authors[n % len(authors)]],
                    "text": f"post number {i}",
                    "status": status,
                    "content_hash": f"{i:064x}",
                    "links": [],
                    "media": [],
                    "findings": [],
                    "created_at": at,
                    "updated_at": at,
                    **(
                        {
                            "remote_id": f"remote-{i}",
                            "published_at": at if status == PostStatus.PUBLISHED else None,
                        }
                        if went_out
                        else {}
                    ),
                }
            )
        db.execute(insert(Post), rows)


def analyze_posts(rt: Any) -> None:
    """Bring the store's statistics on posts up to date, so that its planner chooses as it
    would for a store in use, not for the empty table it last saw."""
    with rt.store.engine.connect() as connection:
        connection.execute(text("ANALYZE posts"))
        connection.commit()
