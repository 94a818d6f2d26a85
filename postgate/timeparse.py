"""Parsing times that users send: ISO 8601 with an offset, nothing naive, nothing absurd.

Times are refused outside 1970-01-01 to 2999-12-31 (UTC): no post is scheduled before
social media existed or a millennium ahead, and a year 1 or 9999 would overflow as soon as
it is moved to another time zone (``datetime`` ends at year 9999).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from postgate.errors import ValidationFailed

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def parse_aware(value: object, field: str) -> datetime:
    """An aware UTC datetime from an ISO 8601 string with an offset (``Z`` accepted)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(
            "{name} must be an ISO 8601 time with an offset", field=field, name=field
        )
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "{name} is not an ISO 8601 time: {value!r}", field=field, name=field, value=value
        ) from None
    if when.tzinfo is None:
        raise ValidationFailed(
            "{name} needs a UTC offset, e.g. 2026-12-01T09:00:00+01:00", field=field, name=field
        )
    return in_range(when, field)


def local_to_utc(local: datetime, timezone: str, field: str) -> datetime:
    """A wall-clock time typed for ``timezone`` (a form's ``datetime-local``), in UTC."""
    return in_range(local.replace(tzinfo=ZoneInfo(timezone)), field)


def in_range(when: datetime, field: str) -> datetime:
    """``when`` in UTC, or ValidationFailed when it lies outside the years Postgate handles."""
    try:
        utc = when.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValidationFailed(
            "{name} must lie between {earliest} and {latest}",
            field=field,
            name=field,
            earliest=EARLIEST.date().isoformat(),
            latest=LATEST.date().isoformat(),
        )
    return utc


def date_in_range(day: date) -> bool:
    """Whether ``day`` lies within the years Postgate handles (see the module doc)."""
    return EARLIEST.date() <= day <= LATEST.date()
