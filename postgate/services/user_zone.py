"""Each person's clock: the time zone the web app shows their times in and reads their
typed times in. A person without one reads the organisation's (``[organisation] timezone``).

The API knows no clocks: it speaks ISO 8601 in UTC, whoever calls it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.services.accounts import validate_timezone
from postgate.store.models import User


def zone_of(rt: Runtime, user: User | None) -> str:
    """The zone ``user``'s times are shown in: theirs, else the organisation's."""
    chosen = getattr(user, "timezone", None) if user is not None else None
    return chosen or rt.settings.timezone


def set_timezone(
    rt: Runtime, db: Session, user: User, name: str | None, *, source: str = ""
) -> str:
    """Set ``user``'s own zone (empty: the organisation's again); returns the zone now read."""
    chosen = validate_timezone(name.strip()) if name and name.strip() else None
    if chosen == user.timezone:
        return zone_of(rt, user)
    previous, user.timezone = user.timezone, chosen
    rt.audit(
        db,
        Event.USER_TIMEZONE,
        actor=user.username,
        target=f"user:{user.username}",
        source=source,
        details={"from": previous, "to": chosen},
    )
    return zone_of(rt, user)
