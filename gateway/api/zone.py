"""``/api/v1/me/timezone``: the clock the web app shows the caller's times on.

The API itself has no clock: every time it sends or takes is ISO 8601 (UTC in answers).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.access import caller
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Answer, Body, Limited
from gateway.context import rt, source_address
from postgate.services.user_zone import set_timezone, zone_of

bp = ApiBlueprint("zone", __name__, tag="users")


class ZoneChoice(Body):
    timezone: Limited(64) | None = Field(  # type: ignore[valid-type]
        default=None,
        description="An IANA zone (`Europe/Paris`); null or empty: the organisation's.",
    )


class Zone(Answer):
    """``timezone``: the caller's own choice (null: none); ``shown_in``: the zone the web
    app shows them times in (theirs, else the organisation's)."""

    timezone: str | None
    shown_in: str


@bp.operation("GET", "/me/timezone", answers={200: Zone})
def my_zone() -> dict[str, Any]:
    """The caller's time zone."""
    with rt().store.session() as db:
        user = caller(db)
        return {"timezone": user.timezone, "shown_in": zone_of(rt(), user)}


@bp.operation("PUT", "/me/timezone", body=ZoneChoice, answers={200: Zone})
def set_my_zone(body: ZoneChoice) -> dict[str, Any]:
    """Choose one's own time zone (audited `user:timezone`); an unknown zone is a 422."""
    with rt().store.transaction() as db:
        user = caller(db)
        shown = set_timezone(rt(), db, user, body.timezone, source=source_address())
        return {"timezone": user.timezone, "shown_in": shown}
