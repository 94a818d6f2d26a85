"""Moving a post on the calendar: one edit, whichever way the person asked for it.

Three ways lead here and end in the same :func:`move_post`: dropping a post on another day or
hour, the "Move…" control of each movable post (a link the keyboard reaches; with JavaScript
it opens the same dialog as the drop, with a date and time field), and, without JavaScript,
the move page that link leads to (``/calendar/move/<id>``, a plain form). Each says before
anything is sent that moving is an edit: the post goes back to review and its approvals no
longer count. The edit goes through the posts service (author only, editable states only,
``post:edit`` audited, approvals voided), so the page and the dialog refuse what the edit page
refuses, each refusal naming its field.

A time is typed on the calendar's clock (the accounts' own when the shown accounts share one,
else the viewer's), which travels with the move as ``timezone``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateTimeLocalField, HiddenField
from wtforms.validators import InputRequired

from gateway.access import caller
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from gateway.redirects import safe_next
from postgate.errors import Conflict, Forbidden, ValidationFailed
from postgate.services import posts
from postgate.states import EDITABLE
from postgate.store.models import Post, User
from postgate.timeparse import local_to_utc

LOCAL_TIME = "%Y-%m-%dT%H:%M"


class MoveForm(FlaskForm):
    """The move page without JavaScript: the new time on the calendar's clock."""

    scheduled_at = DateTimeLocalField(
        _l("New date and time"),
        format=[LOCAL_TIME, f"{LOCAL_TIME}:%S"],
        validators=[InputRequired(message=_l("Enter the new date and time."))],
    )
    timezone = HiddenField()
    back = HiddenField()


def known_zone(name: object) -> str | None:
    """``name`` when it is a time zone this machine knows, else None."""
    try:
        return name if isinstance(name, str) and name and ZoneInfo(name) else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_field(name: object) -> str:
    """The clock a move was typed on; a 422 naming ``timezone`` when it is not one."""
    zone = known_zone(name)
    if zone is None:
        raise ValidationFailed("timezone must be a time zone name", field="timezone")
    return zone


def typed_time(value: object, zone: str) -> datetime:
    """``YYYY-MM-DDTHH:MM`` read on the clock ``zone``, as a UTC moment; a 422 naming
    ``scheduled_at`` when it is not such a time, or not one Postgate handles."""
    try:
        local = datetime.strptime(str(value), LOCAL_TIME)  # noqa: DTZ007
    except ValueError:
        raise ValidationFailed(
            "scheduled_at must be a time like 2030-12-24T10:30", field="scheduled_at"
        ) from None
    return local_to_utc(local, zone, "scheduled_at")


def movable_post(db: Session, user: User, post_id: int) -> Post:
    """The post ``user`` may move: theirs (else 403) and still editable (else 409), with
    the posts service's own refusals (404 for a post they may not see)."""
    post = posts.visible_post(db, user, post_id)
    if post.author_id != user.id:
        raise Forbidden("only the author can edit a post")
    if post.status not in EDITABLE:
        raise Conflict("a {status} post cannot be edited", field="status", status=post.status)
    return post


def move_post(post_id: int, when: datetime) -> tuple[dict[str, Any], bool]:
    """Move the caller's post to ``when`` (UTC): an edit, back to review. Returns the post as
    the API shows it and whether it moved (not when it is already at that minute)."""
    with rt().store.transaction() as db:
        user = caller(db)
        found = posts.visible_post(db, user, post_id)
        if found.scheduled_at is not None and _same_minute(found.scheduled_at, when):
            return posts.post_to_dict(found), False
        saved, old_revision = posts.edit(
            rt(), db, user, post_id, {"scheduled_at": when}, source=source_address()
        )
        answer = posts.post_to_dict(saved)
    dispatch_after_commit(saved, old_revision)
    return answer, True


def calendar_after(back: str | None, day: date, post_id: int) -> str:
    """Where the move page sends the browser once done: the calendar it came from (its view
    and accounts), around the post's new day, at the post."""
    asked = safe_next(back) or ""
    parts = urlsplit(asked)
    query = parse_qs(parts.query) if parts.path == url_for("calendar.index") else {}
    view = (query.get("view") or ["week"])[0]
    target = url_for(
        "calendar.index", view=view, start=day.isoformat(), account=query.get("account", [])
    )
    return f"{target}#post-{post_id}"


def _same_minute(old: datetime, new: datetime) -> bool:
    stored = old if old.tzinfo else old.replace(tzinfo=new.tzinfo)
    return abs((stored - new).total_seconds()) < 60
