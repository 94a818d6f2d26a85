"""Whose clock a page shows: the viewer's.

Every time a page shows goes through one Jinja filter, ``shown_time``: the moment in the
viewer's time zone (their own, chosen at enrolment and on their profile, else the
organisation's ``[organisation] timezone``), written the way their language writes it, with
the zone named and the exact moment in ``<time datetime>``. Times a person types in a form
(compose, edit, a reviewer's new time) are read on the same clock. The API has no clock of
its own: ISO 8601 in UTC, whoever calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

from gateway.access import signed_in_user
from gateway.context import rt
from gateway.i18n import local_time
from postgate.services.user_zone import zone_of
from postgate.timeparse import local_to_utc


def viewer_zone() -> str:
    """The zone of whoever is looking: theirs, else the organisation's."""
    return zone_of(rt(), signed_in_user())


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
        except ValueError:
            return None
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def shown_time(value: datetime | str | None, style: str = "medium", zone: bool = True) -> Markup:
    """``value`` (a UTC datetime or ISO 8601 text) on the viewer's clock, as HTML; text that
    is not a time (what a platform said) is shown as it is, and nothing as an empty string."""
    moment = _moment(value)
    if moment is None:
        return escape(value or "")
    tz = viewer_zone()
    label = Markup(' <span class="tz">{}</span>').format(tz) if zone else ""
    return Markup('<time datetime="{}">{}</time>{}').format(
        moment.astimezone(UTC).isoformat(), local_time(moment, tz, style), label
    )


def typed_to_utc(local: datetime | None, field: str = "scheduled_at") -> datetime | None:
    """A ``datetime-local`` value typed on the viewer's clock, as an aware UTC datetime."""
    return None if local is None else local_to_utc(local, viewer_zone(), field)


def utc_to_typed(when: datetime | None) -> datetime | None:
    """The reverse of :func:`typed_to_utc`, to fill a ``datetime-local`` input."""
    if when is None:
        return None
    local = when.astimezone(ZoneInfo(viewer_zone()))
    return local.replace(tzinfo=None, second=0, microsecond=0)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["shown_time"] = shown_time
    app.jinja_env.globals["viewer_zone"] = viewer_zone
