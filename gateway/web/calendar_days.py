"""An account's days: its posts, posting hours, freezes and blackout dates, day by day.

Days are the account's own days (its time zone), because a blackout date or a posting
window means the date its audience sees. The calendar shows a week or a month of them; the
review page shows the days around the post under review, so the reviewer sees what else
goes out then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from postgate import policy
from postgate.runtime import Runtime
from postgate.services.checking import current_ruleset
from postgate.states import UNPUBLISHED, PostStatus
from postgate.store.models import Account, Freeze, Post, User
from postgate.store.types import utcnow
from rules import Window, parse_window

SHOWN = (*UNPUBLISHED, PostStatus.PUBLISHED, PostStatus.FAILED)


@dataclass
class Day:
    day: date
    posts: list[Post] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)
    blackout: bool = False
    today: bool = False
    hours: list[tuple[time, time | None]] = field(default_factory=list)
    restricted: bool = False  # the account has posting windows: no hours = closed that day


def org_blackouts(rt: Runtime, account: Account) -> set[date]:
    """Blackout dates of the rules configuration that apply to ``account``."""
    found: set[date] = set()
    for rule in current_ruleset(rt).rules_for(account.name):
        found.update(getattr(rule, "blackout_dates", ()) or ())
    return found


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def calendar_days(
    rt: Runtime, db: Session, user: User, account: Account, first: date, count: int
) -> list[Day]:
    """``count`` days from ``first`` on the account's clock, with what happens on each."""
    zone = ZoneInfo(account.timezone)
    start, end = _utc(first, zone), _utc(first + timedelta(days=count), zone)
    days = [Day(first + timedelta(days=i)) for i in range(count)]
    by_day = {d.day: d for d in days}
    for post in _posts(db, user, account, start, end):
        moment = post.published_at or post.scheduled_at
        by_day[moment.astimezone(zone).date()].posts.append(post)
    blackouts = org_blackouts(rt, account) | {
        date.fromisoformat(d) for d in account.blackout_dates or ()
    }
    today = utcnow().astimezone(zone).date()
    windows = posting_windows(account)
    for d in days:
        d.blackout, d.today = d.day in blackouts, d.day == today
        d.restricted = bool(windows)
        d.hours = sorted((w.start, w.end) for w in windows if d.day.weekday() in w.days)
    for freeze in _freezes(db, account, start, end):
        for d in days:
            if freeze_overlaps(freeze, _utc(d.day, zone), _utc(d.day + timedelta(days=1), zone)):
                d.freezes.append(freeze)
    return days


def posting_windows(account: Account) -> list[Window]:
    """The account's posting windows; one that no longer parses is left out, not fatal
    (the rules engine blocks posts on that account and says why)."""
    found = []
    for spec in account.windows or ():
        try:
            found.append(parse_window(spec))
        except ValueError:
            continue
    return found


def _posts(db: Session, user: User, account: Account, start: datetime, end: datetime):
    moment = Post.published_at.is_not(None)
    in_range = or_(
        and_(moment, Post.published_at >= start, Post.published_at < end),
        and_(Post.published_at.is_(None), Post.scheduled_at >= start, Post.scheduled_at < end),
    )
    query = select(Post).where(Post.account_id == account.id, Post.status.in_(SHOWN), in_range)
    if not user.has_role(*policy.SEE_ALL_POSTS):
        query = query.where(Post.author_id == user.id)  # a plain author sees only their own
    posts = list(db.scalars(query))
    return sorted(posts, key=lambda p: p.published_at or p.scheduled_at)


def _freezes(db: Session, account: Account, start: datetime, end: datetime) -> list[Freeze]:
    query = select(Freeze).where(
        or_(Freeze.account_id.is_(None), Freeze.account_id == account.id),
        Freeze.created_at < end,
        or_(Freeze.lifted_at.is_(None), Freeze.lifted_at > start),
    )
    return list(db.scalars(query.order_by(Freeze.created_at)))


def freeze_overlaps(freeze: Freeze, start: datetime, end: datetime) -> bool:
    created = _aware(freeze.created_at)
    lifted = _aware(freeze.lifted_at) if freeze.lifted_at else None
    return created < end and (lifted is None or lifted > start)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
