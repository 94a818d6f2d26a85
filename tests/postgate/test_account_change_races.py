"""Two people deciding the same pending account change at the same instant: exactly one
decision lands, the other is refused with a conflict, and the audit trail holds one
decision. Each decider runs in its own thread and transaction, released together."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from postgate.errors import Conflict
from postgate.services import account_changes
from postgate.store.models import Account, AccountChange, AuditEntry
from tests.helpers import make_account
from tests.postgate.service_people import people

WEEKDAYS = ["mon-fri 08:00-20:00"]
EVERY_DAY = ["mon-sun 08:00-20:00"]


def _asked(rt) -> int:
    make_account(rt, "acme", windows=WEEKDAYS)
    people(rt, ada=("admin",), bea=("admin",), sec=("security",))
    with rt.store.transaction() as db:
        outcome = account_changes.change_settings(
            rt, db, "acme", {"windows": EVERY_DAY}, actor="ada"
        )
        assert outcome.pending is not None
        return outcome.pending.id


def _race(rt, change_id: int, deciders: list[tuple[Any, str]]) -> list[str]:
    """Run every (decision, actor) at once; each result is 'ok' or 'conflict'."""
    start = threading.Barrier(len(deciders))
    results: list[str] = [""] * len(deciders)

    def decide(index: int, how: Any, actor: str) -> None:
        start.wait()
        try:
            with rt.store.transaction() as db:
                how(rt, db, change_id, actor=actor)
            results[index] = "ok"
        except Conflict:
            results[index] = "conflict"

    threads = [
        threading.Thread(target=decide, args=(i, how, actor))
        for i, (how, actor) in enumerate(deciders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _decisions(rt) -> list[str]:
    with rt.store.session() as db:
        return list(
            db.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.action.in_(("account:change-approved", "account:change-denied"))
                )
            )
        )


def _windows(rt) -> list[str]:
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.name == "acme"))
        assert account is not None
        return list(account.windows)


def test_two_approvers_at_once_approve_it_once(rt):
    change_id = _asked(rt)
    results = _race(
        rt, change_id, [(account_changes.approve, "bea"), (account_changes.approve, "sec")]
    )
    assert sorted(results) == ["conflict", "ok"]
    assert _decisions(rt) == ["account:change-approved"]
    assert _windows(rt) == EVERY_DAY
    with rt.store.session() as db:
        change = db.get(AccountChange, change_id)
        assert change is not None
        assert change.decided_by == ("bea" if results[0] == "ok" else "sec")


def test_an_approval_racing_a_denial_leaves_one_outcome_and_the_windows_to_match(rt):
    change_id = _asked(rt)
    results = _race(
        rt, change_id, [(account_changes.approve, "bea"), (account_changes.deny, "sec")]
    )
    assert sorted(results) == ["conflict", "ok"]
    decisions = _decisions(rt)
    assert len(decisions) == 1
    expected = EVERY_DAY if decisions == ["account:change-approved"] else WEEKDAYS
    assert _windows(rt) == expected
