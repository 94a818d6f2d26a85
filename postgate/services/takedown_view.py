"""The read side of takedowns: one takedown as the API, the console and the report show it.

Kept apart from the request path, which must stay short and locked, and from the worker:
progress is counted from the item rows and each account's window and credential state from
its ``takedown_accounts`` row (:mod:`postgate.services.takedown_windows`) on every read, so
a page polled while the job runs shows what the store holds, never a copy that could lag.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.errors import NotFound
from postgate.platforms.registry import PLATFORMS
from postgate.platforms.spec import PlatformSpec
from postgate.services.takedown_scope import Scope
from postgate.services.takedown_windows import account_names, takedown_windows
from postgate.states import GONE, ItemOutcome
from postgate.store.models import Account, Takedown, TakedownItem
from postgate.store.types import utcnow

OUTCOMES = tuple(ItemOutcome)


def load_takedown(db: Session, takedown_id: int) -> Takedown:
    takedown = db.get(Takedown, takedown_id)
    if takedown is None:
        raise NotFound("no takedown {id}", field="id", id=str(takedown_id))
    return takedown


def list_takedowns(db: Session, limit: int = 50) -> list[Takedown]:
    return list(db.scalars(select(Takedown).order_by(Takedown.id.desc()).limit(limit)))


def progress(db: Session, takedown: Takedown) -> dict[str, Any]:
    """Counts per outcome, overall and per account, from the item rows; per account also
    ``deleted_by``: when the posts still waiting should all be deleted, at the deletion
    limit the run saw on the platform (:func:`deleted_by`), None when nothing waits or the
    platform has no deletion limit."""
    names = account_names(db, takedown)
    platforms = dict(
        db.execute(select(Account.id, Account.platform).where(Account.id.in_(list(names)))).all()
    )
    paces = takedown_windows(db, takedown).paces
    per_account: dict[int, Counter[str]] = {a: Counter() for a in takedown.account_ids}
    gone_at: dict[int, list[datetime]] = {}
    for item in takedown.items:
        per_account.setdefault(item.account_id, Counter())[item.outcome] += 1
        if item.outcome in GONE and item.updated_at is not None:
            gone_at.setdefault(item.account_id, []).append(item.updated_at)
    total: Counter[str] = Counter()
    accounts = {}
    for account_id, counts in per_account.items():
        total.update(counts)
        waiting = counts[ItemOutcome.PENDING] + counts[ItemOutcome.NEUTRALISED]
        when = deleted_by(
            PLATFORMS.get(platforms.get(account_id, "")),
            paces.get(account_id),
            waiting,
            gone_at.get(account_id, []),
        )
        accounts[names.get(account_id, "?")] = {
            **_counts(counts),
            "deleted_by": when.isoformat() if when else None,
        }
    return {**_counts(total), "accounts": accounts}


def deleted_by(
    spec: PlatformSpec | None,
    pace: dict[str, Any] | None,
    waiting: int,
    gone_at: list[datetime],
    now: datetime | None = None,
) -> datetime | None:
    """When ``waiting`` posts should all be deleted: ``per_window`` deletions per window of
    ``window_seconds``, as the platform showed them (``pace``, see
    :mod:`workers.takedown_pace`), else as it documents them (the registry's quota).

    Refused until ``resets_at`` (still ahead): the first batch goes then. Past it: the
    window that opened then still takes what it has left (deletions stored since count
    against it), then a window per batch. Never seen refused: a window per full batch
    beyond the first, from now."""
    quota = spec.delete_quota if spec is not None else None
    if not waiting or quota is None:
        return None
    now = now or utcnow()
    pace = pace or {}
    per_window = int(pace.get("per_window") or quota.calls)
    window = timedelta(seconds=float(pace.get("window_seconds") or quota.seconds))
    resets_at = datetime.fromisoformat(pace["resets_at"]) if pace.get("resets_at") else None
    if resets_at is None:
        return now + (math.ceil(waiting / per_window) - 1) * window
    if resets_at > now:
        return resets_at + (math.ceil(waiting / per_window) - 1) * window
    left = max(0, per_window - sum(1 for at in gone_at if at >= resets_at))
    if waiting <= left:
        return now
    return resets_at + window + (math.ceil((waiting - left) / per_window) - 1) * window


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {"total": sum(counts.values()), **{o: counts[o] for o in OUTCOMES}}


def item_to_dict(item: TakedownItem, account: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "account": account,
        "remote_id": item.remote_id,
        "post_id": item.post_id,
        "origin": item.origin,
        "outcome": item.outcome,
        "reason": item.reason,
        "attempts": item.attempts,
        "evidence": item.evidence,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
    }


def takedown_to_dict(db: Session, takedown: Takedown, *, items: bool = True) -> dict[str, Any]:
    """The takedown as the API returns it; lists and polled progress leave ``items`` out."""
    names = account_names(db, takedown)
    windows = takedown_windows(db, takedown)
    body: dict[str, Any] = {
        "id": takedown.id,
        "status": takedown.status,
        "phase": takedown.phase,
        "accounts": [
            {
                "name": names[a],
                "credentials_revoked": a in windows.revoked,
                "reason": windows.reasons.get(a, ""),
                "gaps": windows.gaps.get(a, ""),
            }
            for a in takedown.account_ids
        ],
        "since": takedown.since.isoformat(),
        "windows": {names[a]: when.isoformat() for a, when in windows.since.items()},
        "created_by": takedown.created_by.username if takedown.created_by else None,
        "created_at": takedown.created_at.isoformat(),
        "finished_at": takedown.finished_at.isoformat() if takedown.finished_at else None,
        "progress": progress(db, takedown),
        "include_postgate": Scope.from_json(takedown.scope).to_json()["include_postgate"],
    }
    if items:
        body["items"] = [item_to_dict(i, names.get(i.account_id, "?")) for i in takedown.items]
    return body
