"""Parsing platform timestamps into aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp as aware UTC; a zone-less one is taken as UTC.

    Raises ValueError on garbage, which callers map to their own fallback.
    """
    when = datetime.fromisoformat(value.strip())
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def isoformat_z(when: datetime) -> str:
    """``2024-05-01T12:00:00.000Z``: the form AT Protocol and X examples use."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
