"""Parsing times that users send: ISO 8601 with an offset, nothing naive."""

from __future__ import annotations

from datetime import UTC, datetime

from postgate.errors import ValidationFailed


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
    return when.astimezone(UTC)
