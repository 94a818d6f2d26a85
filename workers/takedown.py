"""The takedown job: discover, delete (keeping evidence), revoke, for each account in parallel.

Everything it learns is a row before it acts on it: an item with its evidence is committed
before the delete call, and each outcome is committed as it comes. A new run (RQ running the
job twice, or a new worker after a crash, queued by ``resume_running_takedowns``) redoes
discovery, which only adds what is missing, and skips finished items. One run at a time
holds a lease in the store and one in Redis, both renewed by a heartbeat; a killed run's
leases expire within the lease time (3 s) and every worker's rescue loop queues the takedown
again within a second. While Redis does not answer, the workers' reconcilers run running
takedowns themselves under the store's lease (:mod:`workers.takedown_without_redis`).

A request may widen an account's window while the run works on it (a second takedown
asking for an earlier ``since`` joins this one). Before revoking an account's credentials
the run reads the window again and discovers once more if it moved; the takedown is only
marked done under the account-row locks the requests take, once every account's part
finished for its current window (else those accounts are done again).

This module is what RQ runs: ``run_takedown`` (its path is stored with every queued job, see
``postgate.queue.TAKEDOWN_FUNCTION``, so it must stay here) and :class:`TakedownRun`,
which holds the lease, keeps the phase and decides when the takedown is done. One
account's part, against the platform, is :class:`~workers.takedown_account.AccountTakedown`;
the item rows it writes are :class:`~workers.takedown_items.AccountItems`.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.runtime import Runtime, process_runtime
from postgate.services.freezes import lock_accounts
from postgate.services.takedown_dispatch import lease_key
from postgate.services.takedown_windows import takedown_windows
from postgate.states import GONE, TakedownStatus
from postgate.store.models import Takedown
from postgate.store.types import utcnow
from workers.lease import Lease, LeaseLost
from workers.store_lease import StoreLease
from workers.takedown_account import AccountTakedown
from workers.takedown_items import ACTOR

log = logging.getLogger("postgate.takedown")

PHASES = ("queued", "discover", "delete", "revoke", "done")
# A killed run's lease expires within LEASE_SECONDS; every worker's once-a-second rescue
# (workers.runner) then queues the takedown again: resumed within about 5 s of the death.
LEASE_SECONDS = 3.0
HEARTBEAT_SECONDS = 1.0


def run_takedown(takedown_id: int) -> dict[str, Any]:
    """The RQ job: ids in, a small summary out."""
    return execute(process_runtime(), takedown_id)


def execute(rt: Runtime, takedown_id: int, *, without_redis: bool = False) -> dict[str, Any]:
    """Run the takedown under its two leases: the store's first (it alone decides which run
    works, Redis or not), then Redis's (which the rescue loop reads to tell a live run from a
    dead one). ``without_redis``: Redis does not answer (:mod:`workers.takedown_without_redis`);
    the Redis lease is written by its heartbeat once Redis is back."""
    # A run that stalled past its lease (a busy machine, a Redis flush) takes it back when no
    # other run took it meanwhile; when one did, the key holds another token and this run
    # stops (LeaseLost): the short lease speeds up resuming, it must not end a live run.
    held = StoreLease(
        rt.store, f"takedown:{takedown_id}", seconds=LEASE_SECONDS, heartbeat=HEARTBEAT_SECONDS
    )
    if not held.acquire(wait=0.0 if without_redis else LEASE_SECONDS + 2):
        return {"takedown": takedown_id, "skipped": "another run holds the takedown"}
    lease = Lease(
        rt.redis,
        lease_key(rt, takedown_id),
        seconds=LEASE_SECONDS,
        heartbeat=HEARTBEAT_SECONDS,
        survive_flush=True,
    )
    try:
        if without_redis:
            lease.hold_from_now()
        elif not lease.acquire(wait=lease.seconds + 2):
            return {"takedown": takedown_id, "skipped": "another run holds the takedown"}
        try:
            return TakedownRun(rt, takedown_id, held, lease).run()
        finally:
            lease.release()
    finally:
        held.release()


class TakedownRun:
    """One run of one takedown: a thread per account, the phase kept in the store."""

    def __init__(self, rt: Runtime, takedown_id: int, *leases: StoreLease | Lease):
        self.rt, self.id, self.leases = rt, takedown_id, leases
        self._phases: dict[int, str] = {}
        self._lock = threading.Lock()

    def run(self) -> dict[str, Any]:
        with self.rt.store.transaction() as db:
            takedown = db.get(Takedown, self.id)
            if takedown is None or takedown.status != TakedownStatus.RUNNING:
                return {"takedown": self.id, "skipped": "not running"}
            todo = list(takedown.account_ids)
        while True:
            self._run_accounts(todo)
            todo, summary = self._finish()
            if not todo:
                return summary
            log.info("takedown %s: window widened on %s after their part; again", self.id, todo)

    def _run_accounts(self, account_ids: list[int]) -> None:
        with self._lock:
            self._phases.update(dict.fromkeys(account_ids, "discover"))
        self._store_phase()
        with ThreadPoolExecutor(max(1, len(account_ids)), "takedown-account") as pool:
            futures = [pool.submit(self._account, aid) for aid in account_ids]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            for error in errors:
                log.error("takedown %s: an account failed: %r", self.id, error)
            raise errors[0]  # type: ignore[misc]

    def _account(self, account_id: int) -> None:
        AccountTakedown(self, account_id).run()

    def set_phase(self, account_id: int, phase: str) -> None:
        with self._lock:
            self._phases[account_id] = phase
        self._store_phase()

    def _store_phase(self) -> None:
        with self._lock:
            phase = min(self._phases.values(), key=PHASES.index, default="done")
        with self.rt.store.transaction() as db:
            takedown = db.get(Takedown, self.id)
            if takedown is not None and takedown.phase != phase and phase != "done":
                takedown.phase = phase

    def check_lease(self) -> None:
        if any(lease.lost.is_set() for lease in self.leases):
            raise LeaseLost(f"takedown {self.id}: lease lost")

    def _finish(self) -> tuple[list[int], dict[str, Any]]:
        """Mark the takedown done, unless a window was widened after an account's part.

        Under the account-row locks ``start_takedown`` takes: a request either widens a
        window before this check (the account is returned, to do again) or finds the
        takedown done (and starts a new one). Nothing in between is lost.
        """
        with self.rt.store.transaction() as db:
            takedown = db.get(Takedown, self.id)
            assert takedown is not None
            lock_accounts(db, list(takedown.account_ids))
            db.refresh(takedown)
            todo = takedown_windows(db, takedown).unfinished()
            if todo:
                return todo, {}
            counts = payloads.takedown_done(item.outcome for item in takedown.items)
            windows = takedown_windows(db, takedown)
            gaps = (
                any(outcome not in GONE for outcome in counts)
                or any(a not in windows.revoked for a in takedown.account_ids)
                or bool(windows.gaps)
            )
            done = TakedownStatus.DONE_WITH_GAPS if gaps else TakedownStatus.DONE
            takedown.status, takedown.phase = done, "done"
            takedown.finished_at = utcnow()
            self.rt.audit(
                db,
                Event.TAKEDOWN_DONE,
                actor=ACTOR,
                target=f"takedown:{self.id}",
                result="ok" if done == TakedownStatus.DONE else "done_with_gaps",
                details=counts,
            )
        return [], {"takedown": self.id, "status": takedown.status, **counts}
