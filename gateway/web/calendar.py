"""The calendar of one account, a week or a month of its days (``calendar_days.py``)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from gateway.access import caller, login_required
from gateway.context import rt
from gateway.web.account_rows import accounts_info
from gateway.web.calendar_days import calendar_days
from postgate.services.accounts import find_account
from postgate.store.types import utcnow
from postgate.timeparse import date_in_range

bp = Blueprint("calendar", __name__)


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
    first = anchor - timedelta(days=anchor.weekday())
    return first, 7, first - timedelta(days=7), first + timedelta(days=7)


def _anchor(value: str | None, zone: ZoneInfo) -> date:
    """The day asked for, or today when it is not a date Postgate handles."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        day = None
    return day if day is not None and date_in_range(day) else utcnow().astimezone(zone).date()


@bp.get("/calendar", endpoint="index")
@login_required
def calendar_page() -> ResponseReturnValue:
    view = "month" if request.args.get("view") == "month" else "week"
    with rt().store.session() as db:
        accounts = accounts_info(db)
        if not accounts:
            return render_template("calendar/month.html", accounts=[], account=None)
        name = request.args.get("account") or accounts[0]["name"]
        account = find_account(db, name)
        anchor = _anchor(request.args.get("start"), ZoneInfo(account.timezone))
        first, count, previous, following = _period(view, anchor)
        days = calendar_days(rt(), db, caller(db), account, first, count)
        return render_template(
            "calendar/month.html",
            accounts=accounts,
            account=account,
            days=days,
            view=view,
            anchor=anchor,
            previous=previous,
            following=following,
        )
