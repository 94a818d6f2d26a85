"""The team calendar: every account at once (or those the filter keeps), a month, a week of
hours or one day, and moving a post by dragging it (``calendar_team.py`` holds the data).

Moving a post is an edit through the posts service, like the edit page: the post goes back
to review, earlier approvals are voided and the audit log records ``post:edit``. The page
says so before the drop; without JavaScript each movable post links to its edit page, with
the new time already filled in when one was chosen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, flash, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from gateway.access import RoleRequired, caller, login_required, signed_in_user
from gateway.clock import viewer_zone
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from gateway.i18n import error_text
from gateway.web import csrf
from gateway.web.calendar_team import (
    MONTH_SHOWN,
    SLOT_SHOWN,
    busy_hours,
    display_zone,
    lanes,
    team_days,
)
from postgate import policy
from postgate.errors import MalformedRequest, NotAuthenticated, PostgateError, ValidationFailed
from postgate.services import posts
from postgate.services.accounts import list_accounts
from postgate.store.types import utcnow
from postgate.timeparse import date_in_range, local_to_utc

bp = Blueprint("calendar", __name__)
VIEWS = ("month", "week", "day")
LOCAL_TIME = "%Y-%m-%dT%H:%M"


def _period(view: str, anchor: date) -> tuple[date, int, date, date]:
    """First day, number of days, and the anchors of the previous and next periods."""
    if view == "month":
        first_of_month = anchor.replace(day=1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        following = (first_of_month + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        count = (last - first).days + 1
        count += (7 - count % 7) % 7
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        return first, count, previous, following
    if view == "day":
        return anchor, 1, anchor - timedelta(days=1), anchor + timedelta(days=1)
    first = anchor - timedelta(days=anchor.weekday())
    return first, 7, first - timedelta(days=7), first + timedelta(days=7)


def _anchor(value: str | None, zone: ZoneInfo) -> date:
    """The day asked for, or today when it is not a date Postgate handles."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        day = None
    return day if day is not None and date_in_range(day) else utcnow().astimezone(zone).date()


def _chosen(names: list[str], asked: list[str]) -> tuple[list[str], list[str]]:
    """The account names the filter keeps (as stored) and those asked for that do not exist."""
    known = {n.casefold(): n for n in names}
    kept = [known[a.casefold()] for a in asked if a.casefold() in known]
    return list(dict.fromkeys(kept)), [a for a in asked if a.casefold() not in known]


@bp.get("/calendar", endpoint="index")
@login_required
def calendar_page() -> ResponseReturnValue:
    asked = request.args.get("view", "week")
    view = asked if asked in VIEWS else "week"
    with rt().store.session() as db:
        user = caller(db)
        accounts = list_accounts(db)
        all_lanes = lanes(rt(), db, accounts)
        kept, unknown = _chosen([a.name for a in accounts], request.args.getlist("account"))
        shown = [lane for lane in all_lanes if lane.name in kept] if kept else all_lanes
        zone = display_zone(shown, _known_zone(viewer_zone()))
        anchor = _anchor(request.args.get("start"), ZoneInfo(zone))
        first, count, previous, following = _period(view, anchor)
        days = team_days(db, user, shown, zone, first, count, slots=view != "month")
        return render_template(
            "calendar/month.html",
            lanes=all_lanes,
            shown=shown,
            single=shown[0] if len(shown) == 1 else None,
            kept=kept,
            unknown=unknown,
            zone=zone,
            days=days,
            busy=busy_hours(days),
            view=view,
            anchor=anchor,
            previous=previous,
            following=following,
            month_shown=MONTH_SHOWN,
            slot_shown=SLOT_SHOWN,
        )


def _known_zone(name: object) -> str | None:
    """A user's chosen time zone (once users have one), when it is one this machine knows."""
    try:
        return name if isinstance(name, str) and name and ZoneInfo(name) else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _json_error(exc: PostgateError) -> ResponseReturnValue:
    """CONTRACT.md's error object, plus ``display``: the message in the reader's language."""
    return jsonify({**exc.to_dict(), "display": error_text(exc)}), exc.status


def _move_request(body: Any) -> tuple[int, datetime]:
    """The post and its new time (UTC) from ``{"post_id", "scheduled_at", "timezone"}``, the
    time as read on the calendar's clock ``timezone``."""
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object", field="body")
    post_id = body.get("post_id")
    if not isinstance(post_id, int) or isinstance(post_id, bool) or not 0 < post_id < 2**31:
        raise MalformedRequest("post_id must be a post's id", field="post_id")
    zone = body.get("timezone")
    try:
        ZoneInfo(zone) if isinstance(zone, str) and zone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if not isinstance(zone, str) or not zone:
        raise ValidationFailed("timezone must be a time zone name", field="timezone")
    try:
        local = datetime.strptime(str(body.get("scheduled_at")), LOCAL_TIME)  # noqa: DTZ007
    except ValueError:
        raise ValidationFailed(
            "scheduled_at must be a time like 2030-12-24T10:30", field="scheduled_at"
        ) from None
    return post_id, local_to_utc(local, zone, "scheduled_at")


@bp.post("/calendar/move", endpoint="move")
@csrf.exempt  # checked in the view, after who may move, so every refusal names its field
def move() -> ResponseReturnValue:
    """Move a post to another time: an edit by its author, answered in JSON for the page."""
    try:
        _may_move()
        _check_csrf()
        post_id, when = _move_request(request.get_json(silent=True))
        with rt().store.transaction() as db:
            user = caller(db)
            found = posts.visible_post(db, user, post_id)
            if found.scheduled_at is not None and _same_minute(found.scheduled_at, when):
                return jsonify({"moved": False, "post": posts.post_to_dict(found)})
            saved, old_revision = posts.edit(
                rt(), db, user, post_id, {"scheduled_at": when}, source=source_address()
            )
            answer = posts.post_to_dict(saved)
    except PostgateError as exc:
        if signed_in_user() is None and not request.is_json:
            raise  # a form sent by a signed-out browser: the login page, like every page
        return _json_error(exc)
    dispatch_after_commit(saved, old_revision)
    message = _("Moved. The post is back in review; earlier approvals no longer count.")
    flash(message)
    return jsonify({"moved": True, "post": answer, "display": message})


def _may_move() -> None:
    """Signed in through the login form (password and 2FA code), and an author."""
    user = signed_in_user()
    if user is None:
        raise NotAuthenticated("sign in again (with your 2FA code) first", field="session")
    if not user.has_role(*policy.WRITE_POSTS):
        raise RoleRequired("this needs the role {roles}", roles=" or ".join(policy.WRITE_POSTS))


def _check_csrf() -> None:
    token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
    try:
        validate_csrf(token)
    except ValidationError:
        raise MalformedRequest(
            "the page's security token is missing or expired; reload the page",
            field="csrf_token",
        ) from None


def _same_minute(old: datetime, new: datetime) -> bool:
    stored = old if old.tzinfo else old.replace(tzinfo=new.tzinfo)
    return abs((stored - new).total_seconds()) < 60


def prefilled_time(args: Any) -> datetime | None:
    """The new time the calendar proposes for the edit page (``?scheduled_at=…&tz=…``, read on
    the clock ``tz``, else the viewer's), as a UTC moment; None when there is none or it is
    not a time Postgate handles."""
    try:
        local = datetime.strptime(str(args.get("scheduled_at")), LOCAL_TIME)  # noqa: DTZ007
        return local_to_utc(local, args.get("tz") or viewer_zone(), "scheduled_at")
    except (ValueError, ZoneInfoNotFoundError, PostgateError):
        return None
