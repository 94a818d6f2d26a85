"""Posting windows and blackout dates, read in the account's own time zone.

A post going out at 3 a.m. local time, or on a day of mourning, is the kind of
mistake nobody notices in review; the schedule is checked here (and again by
the worker at publish time).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import BLOCK, Context, Draft, Finding, Rule, Template
from .errors import RuleConfigError
from .options import Options

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Day names as people type them, English or French, short or long ("lun-ven", "lundi",
# "Mardi", "mer." as Babel abbreviates): each maps to its day number (0 = Monday).
_DAY_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday", "lun", "lundi"),
            ("tue", "tues", "tuesday", "mar", "mardi"),
            ("wed", "wednesday", "mer", "mercredi"),
            ("thu", "thur", "thurs", "thursday", "jeu", "jeudi"),
            ("fri", "friday", "ven", "vendredi"),
            ("sat", "saturday", "sam", "samedi"),
            ("sun", "sunday", "dim", "dimanche"),
        )
    )
    for name in names
}
_TIME_RE = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
# Dates go out as ISO and windows as configured; the web layer writes both in the reader's
# language (see `Template`).
UNKNOWN_ZONE = Template("Unknown time zone '{timezone}' for this account.")
BLACKOUT = Template("{date} at {time} ({timezone}) is a blackout date: nothing may be published.")
BAD_WINDOW = Template(
    'The account\'s posting window "{window}" is invalid; an administrator must correct it.'
)
OUTSIDE = Template("{date} at {time} ({timezone}) is outside the posting windows ({windows}).")
_EXAMPLE = 'expected something like "mon-fri 08:00-20:00" or "sat,sun 10:00-14:00"'


class WindowError(ValueError):
    """A posting window that does not parse: ``kind`` says what is wrong (``UNKNOWN_DAY``,
    ``BAD_TIME``, ``ORDER``, ``SHAPE``) and ``value`` the part at fault, so a caller can say
    it in its own words; the message is English."""

    UNKNOWN_DAY, BAD_TIME, ORDER, SHAPE = "unknown_day", "bad_time", "order", "shape"

    def __init__(self, message: str, *, kind: str, value: str = "") -> None:
        super().__init__(message)
        self.kind, self.value = kind, value


@dataclass(frozen=True)
class Window:
    """Days of the week (0 = Monday) and a [start, end) time of day; end None = midnight."""

    days: frozenset[int]
    start: time
    end: time | None

    def contains(self, local: datetime) -> bool:
        if local.weekday() not in self.days:
            return False
        moment = local.time().replace(tzinfo=None)
        return self.start <= moment and (self.end is None or moment < self.end)


def day_number(name: str) -> int | None:
    """The day (0 = Monday) a name stands for, in English or French, whatever its case,
    accents or abbreviating dot ("Mon", "lundi", "LUN.", "mércredi"); None when none."""
    folded = unicodedata.normalize("NFKD", name.strip().lower().rstrip("."))
    return _DAY_NAMES.get("".join(c for c in folded if not unicodedata.combining(c)))


def _day(name: str, spec: str) -> int:
    number = day_number(name)
    if number is None:
        raise WindowError(
            f"bad posting window {spec!r}: unknown day {name!r} "
            f"(use {', '.join(DAYS)}, or lun, mar, mer, jeu, ven, sam, dim)",
            kind=WindowError.UNKNOWN_DAY,
            value=name,
        )
    return number


def _days(part: str, spec: str) -> frozenset[int]:
    days: set[int] = set()
    for item in part.split(","):
        first, _, last = item.partition("-")
        start = _day(first, spec)
        stop = _day(last, spec) if last else start
        days.update((start + i) % 7 for i in range((stop - start) % 7 + 1))
    return frozenset(days)


def _time(value: str, spec: str) -> time | None:
    match = _TIME_RE.fullmatch(value)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise WindowError(
            f"bad posting window {spec!r}: {value!r} is not a time like 08:00",
            kind=WindowError.BAD_TIME,
            value=value,
        )
    if match.group(1) == "24":
        return None
    return time(int(match.group(1)), int(match.group(2)))


@functools.lru_cache(maxsize=256)
def parse_window(spec: str) -> Window:
    """'mon-fri 08:00-20:00', 'sat 10:00-14:00', 'mon,wed 09:00-17:30'; in French too
    ('lun-ven 08:00-20:00', 'samedi 10:00-14:00'); ValueError if bad."""
    parts = spec.strip().lower().split()
    if len(parts) != 2 or parts[1].count("-") != 1:
        raise WindowError(f"bad posting window {spec!r}: {_EXAMPLE}", kind=WindowError.SHAPE)
    days = _days(parts[0], spec)
    first, last = parts[1].split("-")
    start, end = _time(first, spec), _time(last, spec)
    if start is None or (end is not None and end <= start):
        raise WindowError(
            f"bad posting window {spec!r}: the end must come after the start "
            "(split a window across midnight in two)",
            kind=WindowError.ORDER,
        )
    return Window(days, start, end)


class PostingWindowRule(Rule):
    """Blocks a post due outside every posting window of its account (or, for an account
    with none of its own, the organisation's ``windows``), or on a blackout date (the
    organisation's, from the config, or the account's own)."""

    kind = "posting_window"
    default_severity = BLOCK

    def __init__(
        self,
        rule_id: str,
        severity: str,
        blackout_dates: frozenset[date],
        windows: tuple[str, ...] = (),
    ) -> None:
        super().__init__(rule_id, severity)
        self.blackout_dates = blackout_dates
        self.windows = windows

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> PostingWindowRule:
        windows = tuple(opts.strings("windows"))
        for number, spec in enumerate(windows, start=1):
            try:
                parse_window(spec)
            except WindowError as exc:
                raise _window_error(opts, exc, number, spec) from None
        return cls(rule_id, severity, frozenset(opts.dates("blackout_dates")), windows)

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        try:
            zone = ZoneInfo(context.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return [self.finding(UNKNOWN_ZONE, timezone=context.timezone)]
        local = context.moment(draft).astimezone(zone)
        when = {
            "date": local.date().isoformat(),
            "time": f"{local:%H:%M}",
            "timezone": context.timezone,
        }
        findings = []
        if local.date() in self.blackout_dates or local.date() in context.blackout_dates:
            findings.append(self.finding(BLACKOUT, **when))
        specs = tuple(context.windows) or self.windows
        windows = []
        for spec in specs:
            try:
                windows.append(parse_window(spec))
            except ValueError:
                return [*findings, self.finding(BAD_WINDOW, window=spec)]
        if windows and not any(w.contains(local) for w in windows):
            findings.append(self.finding(OUTSIDE, **when, windows="; ".join(specs)))
        return findings


def _window_error(opts: Options, exc: WindowError, item: int, spec: str) -> RuleConfigError:
    """The configuration error for a window that does not parse: a template per case."""
    if exc.kind == WindowError.UNKNOWN_DAY:
        return opts.error(
            "windows",
            "item {item}: bad posting window {window!r}: unknown day {value!r} "
            "(use mon, tue, wed, thu, fri, sat, sun, or lun, mar, mer, jeu, ven, sam, dim)",
            item=item,
            window=spec,
            value=exc.value,
        )
    if exc.kind == WindowError.BAD_TIME:
        return opts.error(
            "windows",
            "item {item}: bad posting window {window!r}: {value!r} is not a time like 08:00",
            item=item,
            window=spec,
            value=exc.value,
        )
    if exc.kind == WindowError.ORDER:
        return opts.error(
            "windows",
            "item {item}: bad posting window {window!r}: the end must come after the start "
            "(split a window across midnight in two)",
            item=item,
            window=spec,
        )
    return opts.error(
        "windows",
        "item {item}: bad posting window {window!r}: expected something like "
        '"mon-fri 08:00-20:00" or "sat,sun 10:00-14:00"',
        item=item,
        window=spec,
    )
