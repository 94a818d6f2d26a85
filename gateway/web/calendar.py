"""The team calendar: every account at once (or those the filter keeps), a month, a week of
hours or one day, and moving a post (``calendar_team.py`` holds the data, ``calendar_move.py``
the move).

Moving a post is an edit through the posts service, like the edit page: the post goes back
to review, earlier approvals are voided and the audit log records ``post:edit``. A post is
moved by dragging it, or with its "Move…" control (the keyboard's and the phone's way), which
opens the same dialog as the drop; both say so before anything is sent. Without JavaScript
the control leads to the move page, a plain form doing the same edit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from gateway.access import RoleRequired, caller, login_required, roles_required, signed_in_user
from gateway.clock import viewer_zone
from gateway.context import rt
from gateway.forms import show_error
from gateway.i18n import error_text
from gateway.redirects import safe_next
from gateway.web import csrf
from gateway.web.calendar_move import (
    LOCAL_TIME,
    MoveForm,
    calendar_after,
    known_zone,
    movable_post,
    move_post,
    typed_time,
    zone_field,
)
from gateway.web.calendar_team import (
    MONTH_SHOWN,
    SLOT_SHOWN,
    busy_hours,
    display_zone,
    lanes,
    team_days,
)
from postgate import policy
from postgate.errors import (
    Conflict,
    MalformedRequest,
    NotAuthenticated,
    PostgateError,
    ValidationFailed,
)
from postgate.services import posts
from postgate.services.accounts import list_accounts
from postgate.store.types import utcnow
from postgate.timeparse import date_in_range, local_to_utc

bp = Blueprint("calendar", __name__)
VIEWS = ("month", "week", "day")


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
        zone = display_zone(shown, known_zone(viewer_zone()))
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
    zone = zone_field(body.get("timezone"))
    return post_id, typed_time(body.get("scheduled_at"), zone)


@bp.post("/calendar/move", endpoint="move")
@csrf.exempt  # checked in the view, after who may move, so every refusal names its field
def move() -> ResponseReturnValue:
    """Move a post to another time: an edit by its author, answered in JSON for the page
    (the drop, and the dialog of the "Move…" control)."""
    try:
        _may_move()
        _check_csrf()
        post_id, when = _move_request(request.get_json(silent=True))
        answer, moved = move_post(post_id, when)
    except PostgateError as exc:
        if signed_in_user() is None and not request.is_json:
            raise  # a form sent by a signed-out browser: the login page, like every page
        return _json_error(exc)
    if not moved:
        return jsonify({"moved": False, "post": answer})
    message = _("Moved. The post is back in review; earlier approvals no longer count.")
    flash(message)
    return jsonify({"moved": True, "post": answer, "display": message})


@bp.route("/calendar/move/<int:post_id>", methods=["GET", "POST"], endpoint="move_page")
@roles_required(policy.WRITE_POSTS)
def move_page(post_id: int) -> ResponseReturnValue:
    """The move without JavaScript: the new time (the calendar's, or the one asked for) and
    what moving means, then the same edit as the drop. Another person's post is refused
    (403), one that may no longer be edited too (409); a bad time is shown at its field."""
    asked = request.form if request.method == "POST" else request.args
    zone = known_zone(asked.get("timezone")) or viewer_zone()
    with rt().store.session() as db:
        found = movable_post(db, caller(db), post_id)
        shown = found.scheduled_at or utcnow()
        form = MoveForm(formdata=None if request.method == "GET" else request.form)
        if request.method == "GET":
            form.timezone.data, form.back.data = zone, safe_next(asked.get("back")) or ""
            form.scheduled_at.data = _local(asked.get("scheduled_at")) or _on_clock(shown, zone)
        form.scheduled_at.description = _(
            "On the clock of %(tz)s, as the calendar shows it.", tz=zone
        )
        now_at = _on_clock(found.scheduled_at, zone) if found.scheduled_at else None
        back = safe_next(form.back.data) or url_for("calendar.index")
        page: dict[str, Any] = {
            "post": found,
            "form": form,
            "zone": zone,
            "now_at": now_at,
            "back": back,
        }
        if not form.validate_on_submit():
            status = 422 if request.method == "POST" else 200
            return render_template("calendar/move.html", **page), status
    try:
        zone = zone_field(form.timezone.data)
        when = local_to_utc(form.scheduled_at.data, zone, "scheduled_at")
        moved = move_post(post_id, when)[1]
    except (ValidationFailed, Conflict) as exc:
        show_error(form, exc, {"timezone": "timezone", "scheduled_at": "scheduled_at"})
        with rt().store.session() as db:
            page["post"] = posts.visible_post(db, caller(db), post_id)
            return render_template("calendar/move.html", **page), exc.status
    if moved:
        flash(_("Moved. The post is back in review; earlier approvals no longer count."))
    day = when.astimezone(ZoneInfo(zone)).date()
    return redirect(calendar_after(form.back.data, day, post_id))


def _on_clock(moment: datetime, zone: str) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def _local(value: object) -> datetime | None:
    try:
        return datetime.strptime(str(value), LOCAL_TIME)  # noqa: DTZ007
    except ValueError:
        return None


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


def prefilled_time(args: Any) -> datetime | None:
    """The new time the calendar proposes for the edit page (``?scheduled_at=…&tz=…``, read on
    the clock ``tz``, else the viewer's), as a UTC moment; None when there is none or it is
    not a time Postgate handles."""
    try:
        local = datetime.strptime(str(args.get("scheduled_at")), LOCAL_TIME)  # noqa: DTZ007
        return local_to_utc(local, args.get("tz") or viewer_zone(), "scheduled_at")
    except (ValueError, ZoneInfoNotFoundError, PostgateError):
        return None
