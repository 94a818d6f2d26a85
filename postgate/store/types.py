"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from postgate.errors import ValidationFailed

INT_MAX = 2**31 - 1  # PostgreSQL's integer; SQLite would take up to 2^63 - 1
INT_MIN = -(2**31)


class StoreInteger(TypeDecorator[int]):
    """An integer column that refuses, on both stores, what PostgreSQL's ``integer`` cannot
    hold: SQLite would store it, or fail past 2^63 with an ``OverflowError``, and
    PostgreSQL would fail with ``integer out of range``. The refusal is a 422, also for a
    lookup (``WHERE id = 2^40``), which can match nothing anyway."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            raise ValidationFailed("a number is out of range (at most {limit})", limit=INT_MAX)
        return value


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out.

    SQLite has no time zone storage, so values are stored as naive UTC there and given their
    zone back on the way out; a naive value on the way in is a bug and is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
