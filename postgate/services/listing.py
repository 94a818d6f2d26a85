"""Keyset pages of a list: a page starts after (or ends before) the key of the last (first)
row the caller saw, never at an OFFSET, so a page costs the same on the 50th page as on the
first and a row inserted meanwhile neither repeats nor hides another.

Keys are unique columns: integers that only grow (post ids, audit sequence numbers), where
"newest first" is the key descending, or unique names (users, by name). The cursor a
client holds is the gateway's business (signed there); here a page is asked for with the
plain key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from postgate.errors import ValidationFailed

T = TypeVar("T")
Key = int | str

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Sort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"


SORTS: tuple[str, ...] = tuple(s.value for s in Sort)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page, in display order, and the keys that continue it: ``next_after`` (rows after
    the last one shown) and ``prev_before`` (rows before the first), None at either end."""

    items: list[T]
    next_after: Key | None
    prev_before: Key | None


def keyset_page(
    db: Session,
    query: Select[Any],
    column: InstrumentedAttribute[Any],
    key: Callable[[T], Key],
    *,
    limit: int = DEFAULT_LIMIT,
    sort: Sort = Sort.NEWEST,
    after: Key | None = None,
    before: Key | None = None,
) -> Page[T]:
    """The page of ``query`` (already filtered) after ``after`` or, going back, before
    ``before``, in ``sort`` order of ``column``."""
    descending = sort is Sort.NEWEST
    backwards = before is not None and after is None
    bound = before if backwards else after
    if bound is not None:
        # "After" in display order is a smaller key when the list is newest first.
        query = query.where(column < bound if descending != backwards else column > bound)
    order = column.desc() if descending != backwards else column.asc()
    rows: Sequence[T] = list(db.scalars(query.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    shown = list(rows[:limit])
    if backwards:
        shown.reverse()
        return Page(shown, key(shown[-1]) if shown else None, key(shown[0]) if more else None)
    next_after = key(shown[-1]) if more and shown else None
    prev_before = key(shown[0]) if bound is not None and shown else None
    return Page(shown, next_after, prev_before)


def like_pattern(text: str) -> str:
    """``%text%`` for a LIKE with ``escape="\\"``: the caller's ``%`` and ``_`` match
    themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Window:
    """A range of times, ``since`` included and ``until`` left out."""

    since: datetime | None = None
    until: datetime | None = None

    def check(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValidationFailed("since must not be after until", field="since")

    def filters(self) -> dict[str, str]:
        shown = {"since": self.since, "until": self.until}
        return {k: v.isoformat() for k, v in shown.items() if v}


def within(query: Select[Any], column: Any, window: Window) -> Select[Any]:
    """``query`` limited to rows whose ``column`` lies in ``window``."""
    if window.since:
        query = query.where(column >= window.since)
    if window.until:
        query = query.where(column < window.until)
    return query
