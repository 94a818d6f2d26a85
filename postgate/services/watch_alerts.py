"""The watch's alerts as people see them: listed, acknowledged, and the takedown they offer.

An alert (``postgate.services.watch``) carries its evidence: the post's text, when it was
made on the platform, its link. It offers "take down from here": the takedown of its account
from just before the first unauthorized post or edit still unacknowledged there (never after
the alert's own), which the console fills in and previews, and which the API gives as the
body of ``POST /takedowns/preview`` and ``POST /takedowns``. Acknowledging an alert says a
person has seen it; it is audited (``alert:acknowledge``) and changes nothing else.
The account's automatic freeze on alert (``watch_auto_freeze``, off by default) is set here,
with 2FA checked by the caller, and audited (``account:watch-settings``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import NotFound
from postgate.runtime import Runtime
from postgate.services.accounts import find_account
from postgate.states import AlertKind
from postgate.store.models import Account, User, WatchAlert, WatchState
from postgate.store.types import utcnow

BEFORE = timedelta(seconds=1)  # "just before": the takedown window opens this much earlier
SUSPECT = (AlertKind.UNAUTHORIZED_POST, AlertKind.EDITED)


def list_alerts(
    db: Session,
    *,
    account: str | None = None,
    unacknowledged: bool = False,
    limit: int = 50,
    before: int | None = None,
) -> list[WatchAlert]:
    """Newest first; ``before`` an alert id to page back from."""
    query = select(WatchAlert).order_by(WatchAlert.id.desc()).limit(limit)
    if account is not None:
        query = query.where(WatchAlert.account_id == find_account(db, account).id)
    if unacknowledged:
        query = query.where(WatchAlert.acknowledged_at.is_(None))
    if before is not None:
        query = query.where(WatchAlert.id < before)
    return list(db.scalars(query))


def unacknowledged_count(db: Session) -> int:
    return (
        db.scalar(select(func.count(WatchAlert.id)).where(WatchAlert.acknowledged_at.is_(None)))
        or 0
    )


def load_alert(db: Session, alert_id: int) -> WatchAlert:
    alert = db.get(WatchAlert, alert_id)
    if alert is None:
        raise NotFound("no alert {id}", field="id", id=alert_id)
    return alert


def acknowledge(
    rt: Runtime, db: Session, user: User, alert_id: int, *, source: str = ""
) -> WatchAlert:
    """Mark the alert seen (the caller commits); acknowledging twice changes nothing."""
    alert = load_alert(db, alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), user.id
        rt.audit(
            db,
            Event.WATCH_ACKNOWLEDGE,
            actor=user.username,
            target=f"alert:{alert.id}",
            details={"account": alert.account.name, "kind": str(alert.kind)},
            source=source,
        )
    return alert


def takedown_since(db: Session, alert: WatchAlert) -> datetime:
    """Just before the account's first unauthorized post or edit still unacknowledged, up
    to this alert (this alert's own time for a deletion or a profile change)."""
    first = db.scalar(
        select(func.min(WatchAlert.at)).where(
            WatchAlert.account_id == alert.account_id,
            WatchAlert.kind.in_(SUSPECT),
            WatchAlert.acknowledged_at.is_(None),
            WatchAlert.id <= alert.id,
        )
    )
    moments = [alert.at] + ([first] if first is not None else [])
    return min(moments) - BEFORE


def takedown_request(db: Session, alert: WatchAlert) -> dict[str, Any]:
    """The body of ``POST /takedowns/preview`` (and, with ``otp``, ``POST /takedowns``)."""
    return {
        "accounts": [alert.account.name],
        "since": takedown_since(db, alert).isoformat(),
    }


def alert_to_dict(db: Session, alert: WatchAlert) -> dict[str, Any]:
    by = alert.acknowledged_by
    return {
        "id": alert.id,
        "account": alert.account.name,
        "kind": str(alert.kind),
        "remote_id": alert.remote_id or None,
        "post_id": alert.post_id,
        "url": alert.url,
        "text": alert.text,
        "visibility": alert.visibility,
        "at": alert.at.isoformat(),
        "detected_at": alert.detected_at.isoformat(),
        "via": alert.via,
        "froze": alert.froze,
        "changed": list(alert.evidence.get("changed", [])),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": by.username if by is not None else None,
        "takedown": takedown_request(db, alert),
    }


def set_auto_freeze(
    rt: Runtime, db: Session, user: User, name: str, enabled: bool, *, source: str = ""
) -> Account:
    """Freeze the account on any watch alert, or not (the caller checked role and 2FA)."""
    account = find_account(db, name)
    if account.watch_auto_freeze != enabled:
        account.watch_auto_freeze = enabled
        rt.audit(
            db,
            Event.ACCOUNT_WATCH,
            actor=user.username,
            target=f"account:{account.name}",
            details={"auto_freeze": enabled},
            source=source,
        )
    return account


def watch_to_dict(db: Session, account: Account) -> dict[str, Any]:
    """The account's watch: its setting and where the watch stands."""
    state = db.get(WatchState, account.id)
    return {
        "account": account.name,
        "auto_freeze": account.watch_auto_freeze,
        "mode": (state.mode or None) if state else None,
        "checked_at": state.checked_at.isoformat() if state and state.checked_at else None,
        "problem": (state.problem or None) if state else None,
    }
