"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Integer, String
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


E = TypeVar("E", bound=enum.StrEnum)


class StateType(TypeDecorator[E]):
    """A column holding one member of a vocabulary of :mod:`postgate.states`, stored as its
    value (a plain string, so the schema and existing rows are unchanged) and read back as
    the member. A value outside the vocabulary is a bug and is refused on the way in; drivers
    never see the enum itself (psycopg would store an ``Enum`` by its name, not its value)."""

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[E], length: int) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> Any:
        return None if value is None else self.vocabulary(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.vocabulary(value)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
