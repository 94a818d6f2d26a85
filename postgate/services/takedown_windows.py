"""Each account's window in a takedown, kept in the (hash-chained) audit log.

A takedown covers each account from a ``since`` that a joining request may move earlier,
never later, and a run finishes an account's part for the window it read then. Both facts
are audit entries written in the transactions that change them, so they survive a worker
restart and need no table of their own. This module keeps the two sides of that record
together: :func:`join_takedown` writes a request's widening, and :func:`takedown_windows`
reads every entry back for the request path, the worker (which takes an account up again
while its two windows differ) and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.store.models import Account, AuditEntry, Takedown, User

WINDOW_EVENTS = (Event.ACCOUNT_TAKEDOWN, Event.ACCOUNT_COMPROMISED)  # with the start entry


@dataclass
class Windows:
    """Per account of a takedown: where its window starts, and the window its part (up to
    the revocation) finished for; an account is to do (again) while the two differ."""

    since: dict[int, datetime]
    finished: dict[int, datetime]
    revoked: set[int]

    def unfinished(self) -> list[int]:
        return [a for a, s in self.since.items() if a not in self.finished or self.finished[a] > s]


def takedown_windows(db: Session, takedown: Takedown) -> Windows:
    """Read from the audit entries the takedown's requests and runs wrote.

    ``takedown:start`` gives every account the window it was started with (else the row's
    ``since``); each ``account:takedown`` (a joining request) may move one account's start
    earlier; each ``account:compromised`` of this takedown says a run finished the account
    for the window it records (entries from before windows existed: the first window).
    """
    started = and_(
        AuditEntry.action == str(Event.TAKEDOWN_START),
        AuditEntry.target == f"takedown:{takedown.id}",
    )
    entries = db.scalars(
        select(AuditEntry)
        .where(or_(started, AuditEntry.action.in_([str(e) for e in WINDOW_EVENTS])))
        .order_by(AuditEntry.seq)
    ).all()
    first = takedown.since
    for entry in entries:
        if entry.action == Event.TAKEDOWN_START:
            first = _when(entry.details["since"])
    since = dict.fromkeys(takedown.account_ids, first)
    by_target = {f"account:{name}": aid for aid, name in account_names(db, takedown).items()}
    finished: dict[int, datetime] = {}
    revoked: set[int] = set()
    for entry in entries:
        d = entry.details or {}
        aid = d.get("account_id", by_target.get(entry.target))
        if d.get("takedown") != takedown.id or aid is None or aid not in since:
            continue
        if entry.action == Event.ACCOUNT_TAKEDOWN:
            since[aid] = min(since[aid], _when(d["since"]))
        elif entry.action == Event.ACCOUNT_COMPROMISED:
            done = _when(d["since"]) if d.get("since") else first
            finished[aid] = min(finished.get(aid, done), done)
            if d.get("credentials_revoked"):
                revoked.add(aid)
    return Windows(since, finished, revoked)


def join_takedown(
    rt: Runtime,
    db: Session,
    actor: User,
    takedown: Takedown,
    accounts: list[Account],
    since: datetime,
    *,
    source: str,
) -> tuple[list[str], list[str]]:
    """Join a running takedown on these accounts, widening their window to ``since``.

    One audit entry per account records the request and the window it leaves; the worker
    reads the windows back (:func:`takedown_windows`), so a widening survives a restart.
    An account whose credentials the takedown revoked already can no longer be listed: its
    widened window only reaches the posts Postgate published, and deleting those fails.
    """
    windows = takedown_windows(db, takedown)
    widened, too_late = [], []
    for account in accounts:
        before = windows.since[account.id]
        after = min(before, since)
        if after < before:
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
