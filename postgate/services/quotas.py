"""Warn before a platform's posting quota would be exceeded (the registry's ``post_quota``).

Instagram publishes at most 50 posts per account in a moving 24 hours, Threads 250: a post
beyond that is refused by the platform at publish time, hours after it was approved. So the
compose page (its live check and its submission) and ``POST /posts`` say it at once: a post
whose time falls in a window of the quota's length that holds more of the account's posts
(in review, scheduled, publishing or published) than the quota allows. It is a warning, not
a refusal: the worker still retries after the platform's own limit, and the author may
move the post.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, func, or_, select, union_all
from sqlalchemy.orm import Session

from postgate.platforms.registry import PLATFORMS
from postgate.states import PostStatus
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from rules.base import Template

COUNTED = (
    PostStatus.PENDING_REVIEW,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
)
# The counted posts' times, read by every submission to a platform with a quota (under the
# audit chain's lock, for ``POST /posts``). Published posts are read by a range of the index
# on the account, the status and the publication time, so that the cost follows the posts in
# the window, not every post the account ever published (20 ms a submission after 100,000
# of them when the range was a filter on a computed time); the posts still ahead are few.
_ACCOUNT = Post.account_id == bindparam("account")
_NOT_THIS = Post.id != bindparam("exclude")
_PUBLISHED_TIMES = select(Post.published_at).where(
    _ACCOUNT,
    Post.status == PostStatus.PUBLISHED,
    Post.published_at > bindparam("after"),
    Post.published_at < bindparam("before"),
    _NOT_THIS,
)
_FALLBACK = func.coalesce(Post.scheduled_at, Post.created_at)
_PUBLISHED_UNDATED_TIMES = select(_FALLBACK).where(  # a published post without its moment
    _ACCOUNT,
    Post.status == PostStatus.PUBLISHED,
    Post.published_at.is_(None),
    _FALLBACK > bindparam("after"),
    _FALLBACK < bindparam("before"),
    _NOT_THIS,
)
_AHEAD = func.coalesce(Post.published_at, _FALLBACK)
_AHEAD_TIMES = select(_AHEAD).where(
    _ACCOUNT,
    # Equalities rather than IN: a statement without expanding parameters, whose plan a
    # test can ask for as it is sent.
    or_(*(Post.status == status for status in COUNTED if status != PostStatus.PUBLISHED)),
    _AHEAD > bindparam("after"),
    _AHEAD < bindparam("before"),
    _NOT_THIS,
)
_COUNTED_TIMES: CompoundSelect[Any] = union_all(
    _PUBLISHED_TIMES, _PUBLISHED_UNDATED_TIMES, _AHEAD_TIMES
)

TEMPLATE = Template(
    "{platform} publishes at most {limit} posts per account in {hours} hours; "
    "{count} posts of {account} would fall within {hours} hours of this one."
)


def quota_warning(
    db: Session, account: Account, when: datetime | None, *, post_id: int | None = None
) -> dict[str, Any] | None:
    """The warning for one more post on ``account`` at ``when`` (None: as soon as approved),
    or None when the platform states no quota or the post fits. ``post_id`` is the post
    itself when it is stored already (it is counted once)."""
    spec = PLATFORMS.get(account.platform)
    if spec is None or spec.post_quota is None:
        return None
    quota, moment = spec.post_quota, when or utcnow()
    span = timedelta(seconds=quota.seconds)
    times = sorted([*_times(db, account.id, moment - span, moment + span, post_id), moment])
    count = busiest_window(times, moment, span)
    if count <= quota.calls:
        return None
    params = {
        "platform": spec.title,
        "limit": quota.calls,
        "hours": quota.seconds // 3600 or 1,
        "count": count,
        "account": account.name,
    }
    return {
        "rule": "quota",
        "template": TEMPLATE,
        "params": params,
        "message": TEMPLATE.format(**params),
    }


def busiest_window(times: list[datetime], moment: datetime, span: timedelta) -> int:
    """How many of the sorted ``times`` the fullest window of length ``span`` that contains
    ``moment`` holds: each window starts at one of the times at most ``span`` before it."""
    best = 0
    for start in (t for t in times if moment - span < t <= moment):
        best = max(best, bisect_left(times, start + span) - bisect_left(times, start))
    return best


def _times(
    db: Session, account_id: int, after: datetime, before: datetime, post_id: int | None
) -> list[datetime]:
    """When each counted post of the account went or goes out, within the range: a published
    post at its publication, any other at its scheduled time, else its creation."""
    return [
        row
        for row in db.scalars(
            _COUNTED_TIMES,
            {
                "account": account_id,
                "after": after,
                "before": before,
                "exclude": post_id or -1,
            },
        )
        if row is not None
    ]
