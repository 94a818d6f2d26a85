"""Changes of an account's settings that loosen protection wait for a second person.

A change that loosens protection takes effect only once a second person approves it with
2FA (issue 17), as for the organisation's rules (:mod:`postgate.services.rule_versions`).
For an account, loosening means a minute of the week newly allowed by its posting windows
(the comparison of :func:`postgate.services.rule_changes.widened_windows`), a blackout
date removed, fewer approvals required, or a new time zone while the account has posting
windows or blackout dates (they are read on its clock, so they all move with it). Such a
change waits as an :class:`AccountChange`; another admin or the security lead (never the
one who asked) approves it, with a fresh TOTP code checked by the caller, and it applies;
either of them, or the one who asked, may deny it. The rest of the request (whatever only
tightens, or changes nothing that protects) applies at once. Every step is audited.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, NotFound
from postgate.runtime import Runtime
from postgate.services import accounts, lapsing
from postgate.services.rule_changes import widened_windows
from postgate.store.models import Account, AccountChange
from postgate.store.types import utcnow

WATCHED = ("windows", "blackout_dates", "timezone", "approvals_required")


class ChangeOutcome(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


@dataclass(frozen=True)
class Outcome:
    """What a settings change did: ``account`` as it is now, and the part that waits."""

    account: Account
    pending: AccountChange | None = None


def loosening(account: Account, changes: dict[str, Any]) -> list[str]:
    """How ``changes`` (validated) loosen the account's protection, one phrase each
    (``windows widened (mon 20:00 now allowed)``); empty when they do not."""
    return list(_loosened(account, changes).values())


def _loosened(account: Account, changes: dict[str, Any]) -> dict[str, str]:
    """The keys of ``changes`` that loosen, each with its phrase, in a stable order."""
    reasons: dict[str, str] = {}
    if "windows" in changes:
        widened = widened_windows(list(account.windows or []), list(changes["windows"]))
        if widened is not None:
            reasons["windows"] = f"windows widened ({widened} now allowed)"
    if "blackout_dates" in changes:
        kept = set(changes["blackout_dates"])
        gone = sorted(d for d in account.blackout_dates or [] if d not in kept)
        if gone:
            reasons["blackout_dates"] = f"blackout dates removed: {', '.join(gone)}"
    if "approvals_required" in changes and changes["approvals_required"] < (
        account.approvals_required or 1
    ):
        reasons["approvals_required"] = (
            f"approvals required lowered from {account.approvals_required} "
            f"to {changes['approvals_required']}"
        )
    # Windows and blackout dates are read on the account's clock: a new zone moves those it
    # has (an account without any, open at any time, has nothing a new zone could open).
    if changes.get("timezone", account.timezone) != account.timezone and (
        account.windows or account.blackout_dates
    ):
        reasons["timezone"] = (
            f"time zone changed from {account.timezone} to {changes['timezone']}: "
            "the posting windows and blackout dates move with it"
        )
    return reasons


def change_settings(
    rt: Runtime,
    db: Session,
    name: str,
    changes: dict[str, Any],
    *,
    actor: str,
    source: str = "",
) -> Outcome:
    """Change an account's settings; the windows and blackout dates wait for a second
    person when they loosen, the rest applies at once."""
    account = accounts.find_account(db, name, field="name")
    checked = dict(changes)
    if "windows" in checked:
        checked["windows"] = accounts.validate_windows(checked["windows"])
    if "blackout_dates" in checked:
        checked["blackout_dates"] = accounts.validate_blackouts(checked["blackout_dates"])
    if "timezone" in checked:
        checked["timezone"] = accounts.validate_timezone(checked["timezone"])
    if "approvals_required" in checked:
        checked["approvals_required"] = accounts.validate_approvals(checked["approvals_required"])
    loosened = _loosened(account, checked)
    reasons = list(loosened.values())
    if not reasons:
        return Outcome(accounts.update_account(rt, db, name, checked, actor=actor, source=source))
    held = {key: checked.pop(key) for key in WATCHED if key in loosened}
    if checked:
        accounts.update_account(rt, db, name, checked, actor=actor, source=source)
    now = utcnow()
    change = AccountChange(
        account=account,
        changes=held,
        widens=reasons,
        requested_by=actor,
        requested_at=now,
        expires_at=lapsing.lapses_at(rt.settings, now),
    )
    db.add(change)
    db.flush()
    _record(rt, db, Event.ACCOUNT_CHANGE_REQUESTED, change, actor, source)
    return Outcome(account, pending=change)


def approve(
    rt: Runtime, db: Session, change_id: int, *, actor: str, source: str = ""
) -> AccountChange:
    """A second person (the caller checked their role and fresh 2FA) approves: it applies.

    Refused (409) when the account's windows or blackout dates changed since, so that what
    was approved is what loosens (an approval never undoes a later tightening unseen)."""
    change = _pending(db, change_id)
    if actor == change.requested_by:
        raise Forbidden(
            "a second person must approve this change, not the one who asked", field="id"
        )
    if loosening(change.account, change.changes) != list(change.widens or []):
        raise Conflict(
            "the account's posting windows or blackout dates changed since this was asked "
            "for: deny it and ask again",
            field="id",
        )
    change.outcome, change.decided_by = ChangeOutcome.APPROVED, actor
    change.decided_at = utcnow()
    _record(rt, db, Event.ACCOUNT_CHANGE_APPROVED, change, actor, source)
    accounts.update_account(
        rt, db, change.account.name, dict(change.changes), actor=actor, source=source
    )
    return change


def deny(
    rt: Runtime, db: Session, change_id: int, *, actor: str, source: str = ""
) -> AccountChange:
    """Turn a pending change down (or, for the one who asked, withdraw it); not a lapsed
    one: it is dropped already."""
    change = _pending(db, change_id)
    change.outcome, change.decided_by = ChangeOutcome.DENIED, actor
    change.decided_at = utcnow()
    _record(rt, db, Event.ACCOUNT_CHANGE_DENIED, change, actor, source)
    return change


def pending_changes(db: Session, account: str | None = None) -> list[AccountChange]:
    query = select(AccountChange).where(
        AccountChange.outcome == ChangeOutcome.PENDING,
        lapsing.still_open(AccountChange.expires_at),
    )
    if account is not None:
        query = query.join(Account).where(Account.name == account)
    return list(db.scalars(query.order_by(AccountChange.id)))


def change_to_dict(change: AccountChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "account": change.account.name,
        "windows": change.changes.get("windows"),
        "blackout_dates": change.changes.get("blackout_dates"),
        "timezone": change.changes.get("timezone"),
        "approvals_required": change.changes.get("approvals_required"),
        "widens": list(change.widens or []),
        "requested_by": change.requested_by,
        "requested_at": change.requested_at.isoformat(),
        "expires_at": lapsing.shown_time(change.expires_at),
        "outcome": lapsing.shown_outcome(change.outcome, ChangeOutcome.PENDING, change.expires_at),
        "decided_by": change.decided_by,
    }


def _pending(db: Session, change_id: int) -> AccountChange:
    change = db.scalar(select(AccountChange).where(AccountChange.id == change_id).with_for_update())
    if change is None:
        raise NotFound("no pending account change {id}", field="id", id=change_id)
    if change.outcome == ChangeOutcome.APPROVED:
        raise Conflict("this change was approved already", field="id")
    if change.outcome != ChangeOutcome.PENDING:
        raise Conflict("this change was denied already", field="id")
    lapsing.refuse_lapsed(change.expires_at)  # nobody decides on a stale request
    return change


def _record(
    rt: Runtime, db: Session, event: Event, change: AccountChange, actor: str, source: str
) -> None:
    rt.audit(
        db,
        event,
        actor=actor,
        target=f"account:{change.account.name}",
        details={
            "change": change.id,
            "changes": change.changes,
            "widens": change.widens,
            "requested_by": change.requested_by,
        },
        source=source,
    )
