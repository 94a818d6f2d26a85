"""The web lists' filters and "Previous"/"Next" links, read from and written to the query
string; pages are cut as in the API (:mod:`postgate.services.listing`), with the same signed
cursors (:mod:`gateway.cursors`), so a list never silently stops at a fixed number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import render_template, request, url_for

from gateway import cursors
from gateway.access import caller
from gateway.context import rt
from gateway.web.account_rows import accounts_info
from postgate.errors import ValidationFailed
from postgate.services import post_lists
from postgate.services.listing import Page, Sort, Window
from postgate.services.post_lists import PostQuery
from postgate.store.models import POST_STATUSES

FILTERS = ("status", "account", "author", "since", "until", "q", "sort")


@dataclass(frozen=True)
class Links:
    previous: str | None
    next: str | None


def arg(name: str, limit: int = 200) -> str | None:
    return (request.args.get(name) or "").strip()[:limit] or None


def day(name: str, *, end: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` of the query string as a UTC time: its start, or with ``end`` the
    start of the next day (so ``until`` includes the day typed)."""
    text = arg(name, 10)
    if text is None:
        return None
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "{name} must be a date (YYYY-MM-DD)", field=name, name=name
        ) from None
    start = datetime.combine(chosen, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def sort_arg(default: Sort) -> Sort:
    text = arg("sort", 16)
    if text is None:
        return default
    if text not in Sort.__members__.values():
        raise ValidationFailed("sort must be newest or oldest", field="sort")
    return Sort(text)


def window() -> Window:
    return Window(day("since"), day("until", end=True))


def post_query(default_sort: Sort = Sort.NEWEST, **fixed: Any) -> PostQuery:
    """The filters of a posts page; ``fixed`` ones (the review queue's status) win."""
    shown: dict[str, Any] = {
        "status": arg("status", 32),
        "account": arg("account", 64),
        "author": arg("author", 64),
        "since": day("since"),
        "until": day("until", end=True),
        "text": arg("q"),
        "sort": sort_arg(default_sort),
    }
    return PostQuery(**{**shown, **fixed})


def position(list_name: str, filters: dict[str, str]) -> cursors.Position:
    return cursors.read(arg("cursor", cursors.MAX_LENGTH), list_name, filters)


def links(list_name: str, filters: dict[str, str], page: Page[Any]) -> Links:
    """URLs of the pages before and after this one, with the same query string."""
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor" and v}
    view = request.endpoint or ""
    values = request.view_args or {}

    def to(cursor: str | None) -> str | None:
        return url_for(view, **values, **kept, cursor=cursor) if cursor else None

    return Links(
        previous=to(cursors.make(list_name, filters, before=page.prev_before)),
        next=to(cursors.make(list_name, filters, after=page.next_after)),
    )


def posts_page(template: str, list_name: str, wanted: PostQuery, **context: Any) -> str:
    """A page of posts ``wanted`` for the caller, rendered with its filters and links."""
    filters = wanted.filters()
    at = position(list_name, filters)
    with rt().store.session() as db:
        page = post_lists.page_posts(db, caller(db), wanted, after=at.after, before=at.before)
        return render_template(
            template,
            posts=page.items,
            links=links(list_name, filters, page),
            query=wanted,
            accounts=accounts_info(db),
            statuses=POST_STATUSES,
            **context,
        )
