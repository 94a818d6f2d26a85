"""The team calendar's data: every shown account's posts, posting windows, blackout dates and
freezes, day by day and hour by hour, on one clock.

Each account is a *lane* with a colour of its own (from its id, so it stays the same whatever
the filter), its windows and blackout dates, and whether a freeze holds it. Only the posts
of the shown accounts and the shown days are read from the store, so the page costs the same
with 5,000 posts as with 50. A post is *movable* by its author while it may still be edited;
moving it is an edit (``calendar.move``), so the page says which posts may be dragged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gateway.web.calendar_days import SHOWN, freeze_overlaps, org_blackouts, posting_windows
from postgate import policy
from postgate.runtime import Runtime
from postgate.services import freezes
from postgate.states import EDITABLE, AccountStatus
from postgate.store.models import Account, Freeze, Post, User
from postgate.store.types import utcnow
from rules import Window

COLOURS = 12  # calendar.css has .lane-c0 … .lane-c11
MONTH_SHOWN = 3  # posts a month cell lists before "+N more"
SLOT_SHOWN = 2  # posts an hour of the week view lists before "+N more"
QUARTERS = (0, 15, 30, 45)  # an hour is open when any of its quarters is in a window


@dataclass
class Lane:
    """An account as the calendar shows it."""

    account: Account
    colour: int
    windows: list[Window]
    blackouts: set[date]
    frozen: bool

    @property
    def name(self) -> str:
        return self.account.name

    def open_at(self, moment: datetime) -> bool:
        """Whether the account may publish at ``moment`` (its windows and blackout dates)."""
        local = moment.astimezone(ZoneInfo(self.account.timezone))
        if local.date() in self.blackouts:
            return False
        return not self.windows or any(w.contains(local) for w in self.windows)

    def hours_on(self, day: date) -> list[tuple[time, time | None]]:
        return sorted((w.start, w.end) for w in self.windows if day.weekday() in w.days)


@dataclass
class Entry:
    """One post in a day: where it is on the page's clock and what the viewer may do."""

    post: Post
    lane: Lane
    local: datetime
    movable: bool
    outside: bool  # outside its account's posting windows, or on a blackout date


@dataclass
class Slot:
    hour: int
    entries: list[Entry] = field(default_factory=list)
    closed_for: list[str] = field(default_factory=list)  # lanes that may not publish then
    closed: bool = False  # closed for every shown lane


@dataclass
class TeamDay:
    day: date
    entries: list[Entry] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    blackout_lanes: list[Lane] = field(default_factory=list)
    closed_lanes: list[Lane] = field(default_factory=list)  # windows, none on this weekday
    freezes: list[Freeze] = field(default_factory=list)
    today: bool = False

    def more(self, shown: int) -> int:
        return max(0, len(self.entries) - shown)


def lanes(rt: Runtime, db: Session, accounts: list[Account]) -> list[Lane]:
    """The accounts as lanes, with their windows, blackout dates and whether they are frozen."""
    held = {f.account_id for f in freezes.active_freezes(db)}
    return [
        Lane(
            account=a,
            colour=a.id % COLOURS,
            windows=posting_windows(a),
            blackouts=org_blackouts(rt, a)
            | {date.fromisoformat(d) for d in a.blackout_dates or ()},
            frozen=None in held or a.id in held or a.status == AccountStatus.FROZEN,
        )
        for a in accounts
    ]


def display_zone(shown: list[Lane], viewer: str | None = None) -> str:
    """The page's clock: the accounts' own when they share one (their windows and blackout
    dates read as written), else the viewer's time zone when they chose one, else UTC."""
    zones = {lane.account.timezone for lane in shown}
    return zones.pop() if len(zones) == 1 else viewer or "UTC"


def team_days(
    db: Session,
    user: User,
    shown: list[Lane],
    zone_name: str,
    first: date,
    count: int,
    *,
    slots: bool,
) -> list[TeamDay]:
    """``count`` days from ``first`` on the clock ``zone_name``, with every shown lane's posts,
    and, when ``slots``, the day's 24 hours with which lanes may publish in each."""
    zone = ZoneInfo(zone_name)
    start, end = _utc(first, zone), _utc(first + timedelta(days=count), zone)
    today = utcnow().astimezone(zone).date()
    days = [TeamDay(first + timedelta(days=i)) for i in range(count)]
    by_day = {d.day: d for d in days}
    by_id = {lane.account.id: lane for lane in shown}
    may_move = user.has_role(*policy.WRITE_POSTS)
    for post in _posts(db, user, list(by_id), start, end):
        moment = when(post)
        lane = by_id[post.account_id]
        movable = may_move and post.author_id == user.id and post.status in EDITABLE
        entry = Entry(post, lane, moment.astimezone(zone), movable, not lane.open_at(moment))
        by_day[entry.local.date()].entries.append(entry)
    held = _freezes(db, list(by_id), start, end)
    for d in days:
        d.today = d.day == today
        d.blackout_lanes = [lane for lane in shown if d.day in lane.blackouts]
        d.closed_lanes = [lane for lane in shown if lane.windows and not lane.hours_on(d.day)]
        day_start, day_end = _utc(d.day, zone), _utc(d.day + timedelta(days=1), zone)
        d.freezes = [f for f in held if freeze_overlaps(f, day_start, day_end)]
        if slots:
            d.slots = _slots(d, shown, zone)
    return days


def busy_hours(days: list[TeamDay]) -> set[int]:
    """The hours in which any of ``days`` has a post; the others are drawn low."""
    return {slot.hour for d in days for slot in d.slots if slot.entries}


def _slots(day: TeamDay, shown: list[Lane], zone: ZoneInfo) -> list[Slot]:
    found = [Slot(hour) for hour in range(24)]
    for entry in day.entries:
        found[entry.local.hour].entries.append(entry)
    for slot in found:
        quarters = [
            datetime.combine(day.day, time(slot.hour, minute), tzinfo=zone) for minute in QUARTERS
        ]
        slot.closed_for = [
            lane.name for lane in shown if not any(lane.open_at(q) for q in quarters)
        ]
        slot.closed = bool(shown) and len(slot.closed_for) == len(shown)
    return found


def _posts(
    db: Session, user: User, account_ids: list[int], start: datetime, end: datetime
) -> list[Post]:
    """The shown accounts' posts of the range only, in time order (indexes on
    ``status, scheduled_at``)."""
    if not account_ids:
        return []
    in_range = or_(
        and_(Post.published_at.is_not(None), Post.published_at >= start, Post.published_at < end),
        and_(Post.published_at.is_(None), Post.scheduled_at >= start, Post.scheduled_at < end),
    )
    query = select(Post).where(Post.account_id.in_(account_ids), Post.status.in_(SHOWN), in_range)
    if not user.has_role(*policy.SEE_ALL_POSTS):
        query = query.where(Post.author_id == user.id)  # a plain author sees only their own
    found = list(db.scalars(query))
    return sorted(found, key=lambda p: (when(p), p.id))


def _freezes(db: Session, account_ids: list[int], start: datetime, end: datetime) -> list[Freeze]:
    query = select(Freeze).where(
        or_(Freeze.account_id.is_(None), Freeze.account_id.in_(account_ids)),
        Freeze.created_at < end,
        or_(Freeze.lifted_at.is_(None), Freeze.lifted_at > start),
    )
    return list(db.scalars(query.order_by(Freeze.created_at)))


def when(post: Post) -> datetime:
    """When a shown post is on the calendar: published, else scheduled (the query keeps only
    posts with one of them)."""
    moment = post.published_at or post.scheduled_at
    assert moment is not None
    return _aware(moment)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
