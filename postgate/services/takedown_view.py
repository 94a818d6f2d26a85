"""The read side of takedowns: one takedown as the API, the console and the report show it.

Kept apart from the request path, which must stay short and locked, and from the worker:
progress is counted from the item rows and each account's window and credential state from
its ``takedown_accounts`` row (:mod:`postgate.services.takedown_windows`) on every read, so
a page polled while the job runs shows what the store holds, never a copy that could lag.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.errors import NotFound
from postgate.platforms.registry import PLATFORMS
from postgate.services.takedown_scope import Scope
from postgate.services.takedown_windows import account_names, takedown_windows
from postgate.states import ItemOutcome
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
    ``deleted_by``: when the posts still waiting should be deleted at the platform's
    documented deletion limit (None when nothing waits or the platform documents none)."""
    names = account_names(db, takedown)
    platforms = dict(
        db.execute(select(Account.name, Account.platform).where(Account.id.in_(list(names)))).all()
    )
    per_account: dict[str, Counter[str]] = {names[a]: Counter() for a in takedown.account_ids}
    for item in takedown.items:
        per_account.setdefault(names.get(item.account_id, "?"), Counter())[item.outcome] += 1
    total: Counter[str] = Counter()
    accounts = {}
    for name, counts in per_account.items():
        total.update(counts)
        waiting = counts[ItemOutcome.PENDING] + counts[ItemOutcome.NEUTRALISED]
        accounts[name] = {
            **_counts(counts),
            "deleted_by": _deleted_by(platforms.get(name), waiting),
        }
    return {**_counts(total), "accounts": accounts}


def _deleted_by(platform: str | None, waiting: int) -> str | None:
    """Now plus one deletion-limit window per full batch beyond the first (an estimate: the
    first batch may have to wait for the current window too)."""
    spec = PLATFORMS.get(platform or "")
    if not waiting or spec is None or spec.delete_quota is None:
        return None
    windows = math.ceil(waiting / spec.delete_quota.calls) - 1
    return (utcnow() + timedelta(seconds=windows * spec.delete_quota.seconds)).isoformat()


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
