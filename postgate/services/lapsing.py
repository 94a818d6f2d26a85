"""A request waiting for a second person lapses: it is asked for a while, not forever.

A grant of power or a loosened posting window asked for weeks ago, confirmed today by
whoever holds a second admin's session, would take effect far from anyone who remembers
why it was asked for (and perhaps after the one who asked has left). So a pending change
(:mod:`postgate.services.duties`, :mod:`postgate.services.account_changes`) carries the
moment it lapses, ``[security] pending_change_days`` after it was asked for (7 by default;
0: never), written when it is asked for. A lapsed request is no longer listed, shows as
``expired``, and can be neither confirmed nor turned down: whoever still wants it asks
again. Requests made before this existed carry no such moment and do not lapse.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_

from postgate.errors import Conflict
from postgate.settings import Settings
from postgate.store.types import utcnow

EXPIRED = "expired"  # the outcome shown for a pending request past its moment (never stored)


def lapses_at(settings: Settings, asked_at: datetime) -> datetime | None:
    """When a request asked for at ``asked_at`` lapses (None: never)."""
    days = settings.pending_change_days
    return asked_at + timedelta(days=days) if days else None


def lapsed(expires_at: datetime | None, now: datetime | None = None) -> bool:
    return expires_at is not None and expires_at <= (now or utcnow())


def still_open(expires_at: Any) -> ColumnElement[bool]:
    """The condition that a row's ``expires_at`` column has not come yet."""
    return or_(expires_at.is_(None), expires_at > utcnow())


def refuse_lapsed(expires_at: datetime | None) -> None:
    """A 409 for a request past its moment: deciding on it now decides something stale."""
    if expires_at is not None and lapsed(expires_at):
        raise Conflict(
            "this request expired on {when} (UTC), unanswered: ask again if it is still wanted",
            field="id",
            when=expires_at.strftime("%Y-%m-%d %H:%M"),
        )


def shown_outcome(outcome: str, pending: str, expires_at: datetime | None) -> str:
    """``outcome`` as the answer shows it: ``expired`` for a pending one past its moment."""
    return EXPIRED if outcome == pending and lapsed(expires_at) else outcome


def shown_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
