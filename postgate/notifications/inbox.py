"""The in-app list: each person's notifications, newest first, and how many are unread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from postgate.notifications.messages import render
from postgate.store.models import Notification, User
from postgate.store.types import utcnow


def unread_count(db: Session, user: User) -> int:
    return int(
        db.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_notifications(
    db: Session, user: User, *, unread: bool = False, limit: int = 50, before: int | None = None
) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    return list(db.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(db: Session, user: User, ids: list[int] | None) -> int:
    """Mark the caller's notifications read (``ids`` None: all of them); returns how many."""
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    result = db.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def notification_to_dict(
    item: Notification,
    language: str,
    localise: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One item as the API and the page show it, in ``language``; ``link`` is a path.
    The stored reason reads in ``language`` (:func:`postgate.notifications.messages.render`);
    ``localise(kind, params)``, when given, translates the parameters itself instead."""
    params = dict(item.params or {})
    if localise is not None:
        params = localise(item.kind, params)
    message = render(item.kind, params, language, with_link=False, reasons=localise is None)
    return {
        "id": item.id,
        "kind": item.kind,
        "title": message.title,
        "body": message.body,
        "link": str((item.params or {}).get("link", "")),
        "created_at": item.created_at.isoformat(),
        "read": item.read_at is not None,
    }
