"""Each account's part of a takedown: its window, what its part finished, its credential.

A takedown covers each account from a ``since`` that a joining request may move earlier,
never later, and a run finishes an account's part for the window it read then, and says
whether the account's credential was verified revoked. These are rows of
``takedown_accounts``, written in the same locked transactions as the takedown and its joins
(:func:`start_windows`, :func:`join_takedown`) and by the run (:func:`finish_account`); the
audit log records the same events but is never read back to decide anything. The request
path, the worker (which takes an account up again while its two windows differ) and the API
read them with :func:`takedown_windows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.services.takedown_scope import Scope
from postgate.store.models import Account, Takedown, TakedownAccount, User


@dataclass
class Windows:
    """Per account of a takedown: where its window starts, and the window its part (up to
    the revocation) finished for; an account is to do (again) while the two differ.
    ``revoked`` holds the accounts whose credential was verified revoked, ``reasons`` why
    the others' were not (once their part finished)."""

    since: dict[int, datetime]
    finished: dict[int, datetime]
    revoked: set[int]
    reasons: dict[int, str] = field(default_factory=dict)
    checked: set[int] = field(default_factory=set)  # whose revocation was attempted
    gaps: dict[int, str] = field(default_factory=dict)  # what the last check could not verify
    paces: dict[int, dict[str, Any]] = field(default_factory=dict)  # deletion limits seen

    def unfinished(self) -> list[int]:
        return [a for a, s in self.since.items() if a not in self.finished or self.finished[a] > s]


def start_windows(db: Session, takedown: Takedown, accounts: list[Account]) -> None:
    """One row per account of a new takedown (its ``id`` flushed), in the caller's transaction."""
    for account in accounts:
        db.add(
            TakedownAccount(takedown_id=takedown.id, account_id=account.id, since=takedown.since)
        )


def _rows(db: Session, takedown: Takedown) -> dict[int, TakedownAccount]:
    """The takedown's account rows; an account without one (a takedown written by hand or
    before the table existed) gets one with the takedown's own window."""
    rows = {
        row.account_id: row
        for row in db.scalars(
            select(TakedownAccount).where(TakedownAccount.takedown_id == takedown.id)
        )
    }
    for account_id in takedown.account_ids:
        if account_id not in rows:
            row = TakedownAccount(
                takedown_id=takedown.id, account_id=account_id, since=takedown.since, reason=""
            )
            db.add(row)
            rows[account_id] = row
    return rows


def takedown_windows(db: Session, takedown: Takedown) -> Windows:
    """Every account's window, finished window and credential state, from the rows."""
    rows = _rows(db, takedown)
    windows = Windows(since={}, finished={}, revoked=set())
    for account_id in takedown.account_ids:
        row = rows[account_id]
        windows.since[account_id] = row.since
        if row.finished is not None:
            windows.finished[account_id] = row.finished
        if row.gaps:
            windows.gaps[account_id] = row.gaps
        if row.deletion_pace:
            windows.paces[account_id] = row.deletion_pace
        if row.credentials_revoked is not None:
            windows.checked.add(account_id)
            if row.credentials_revoked:
                windows.revoked.add(account_id)
            else:
                windows.reasons[account_id] = row.reason
    return windows


def finish_account(
    db: Session,
    takedown: Takedown,
    account_id: int,
    since: datetime,
    revoked: bool,
    reason: str,
    gaps: str = "",
    scope: Scope | None = None,
) -> None:
    """A run finished the account's part for the window ``since`` (and the takedown's
    ``scope`` as it read it): record it with whether its credential was verified revoked
    (once revoked, it stays so) and what its check after the deletions could not verify.
    A scope widened meanwhile leaves the part unfinished, to do again. The caller holds the
    account's row lock, as a joining request does."""
    row = _rows(db, takedown)[account_id]
    row.gaps = gaps
    if scope is None or scope == Scope.from_json(takedown.scope):
        row.finished = since if row.finished is None else min(row.finished, since)
    row.credentials_revoked = bool(row.credentials_revoked) or revoked
    row.reason = "" if row.credentials_revoked else reason


def record_pace(db: Session, takedown: Takedown, account_id: int, pace: dict[str, Any]) -> None:
    """The deletion limit as the run saw it on the account (``workers.takedown_pace``)."""
    _rows(db, takedown)[account_id].deletion_pace = pace


def join_takedown(
    rt: Runtime,
    db: Session,
    actor: User,
    takedown: Takedown,
    accounts: list[Account],
    since: datetime,
    *,
    source: str,
    scope_change: tuple[Any, Any] | None = None,
) -> tuple[list[str], list[str]]:
    """Join a running takedown on these accounts, widening their window to ``since``.

    The account's row takes the new window (the worker reads it back, so a widening survives
    a restart); one audit entry per account records the request and the window it leaves.
    ``scope_change`` (the scope before and after, when the join chose more of Postgate's
    posts, already stored on the takedown) makes each account's part to do again: its
    finished window is cleared. An account whose credentials the takedown revoked already
    can no longer be listed: its widened window or scope only reaches the posts Postgate
    published, and deleting those fails.
    """
    windows = takedown_windows(db, takedown)
    rows = _rows(db, takedown)
    widened, too_late = [], []
    for account in accounts:
        before = windows.since[account.id]
        after = min(before, since)
        if scope_change is not None:
            rows[account.id].finished = None  # to do again, for the wider scope
        if after < before or scope_change is not None:
            if after < before:
                rows[account.id].since = after
            widened.append(account.name)
            if account.id in windows.revoked:
                too_late.append(account.name)
        rt.audit(
            db,
            Event.ACCOUNT_TAKEDOWN,
            actor=actor.username,
            target=f"account:{account.name}",
            details=payloads.account_takedown(
                takedown.id,
                account.id,
                since,
                after,
                before if after < before else None,
                account.id in windows.revoked,
                scope_change,
            ),
            source=source,
        )
    if since < takedown.since:
        takedown.since = since
    return widened, too_late


def account_names(db: Session, takedown: Takedown) -> dict[int, str]:
    """The names of the takedown's accounts and its items' accounts, by id: older audit
    entries name an account only in their target, and the API shows names."""
    ids = set(takedown.account_ids) | {i.account_id for i in takedown.items}
    rows = db.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()
    return {row.id: row.name for row in rows}


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)
