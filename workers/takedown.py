"""The takedown job: discover, delete (keeping evidence), revoke, for each account in parallel.

Everything it learns is a row before it acts on it: an item with its evidence is committed
before the delete call, and each outcome is committed as it comes. A new run (RQ running the
job twice, or a new worker after a crash, queued by ``resume_running_takedowns``) redoes
discovery, which only adds what is missing, and skips finished items. One run at a time
holds a lease in Redis, renewed by a heartbeat; a killed run's lease expires within
the lease time and the next run waits for it.

A request may widen an account's window while the run works on it (a second takedown
asking for an earlier ``since`` joins this one). Before revoking an account's credentials
the run reads the window again and discovers once more if it moved; the takedown is only
marked done under the account-row locks the requests take, once every account's part
finished for its current window (else those accounts are done again).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.services.freezes import lock_accounts
from postgate.services.takedowns import Windows, lease_key, takedown_windows
from postgate.store.models import Account, Post, Takedown, TakedownItem
from postgate.store.types import utcnow
from workers.connectors import (
    ConnectorError,
    RemotePost,
    RetryableError,
)
from workers.lease import Lease, LeaseLost
from workers.pacing import Pacer
from workers.platform import connector_for_account

log = logging.getLogger("postgate.takedown")
T = TypeVar("T")

DELETERS_PER_ACCOUNT = 4  # concurrent delete calls on one account
RECORD_EVERY = 0.2  # seconds a finished deletion may wait to be stored with others
RECORD_BATCH = 50  # deletions stored in one transaction at the most
MAX_ATTEMPTS = 5  # failures (not rate-limit waits) before an item is `failed`
MAX_RATE_WAITS = 200  # 429s tolerated on one call before giving up
MAX_WAIT = 900.0  # longest single wait a platform may ask for
LIST_LIMIT = 10_000
SWEEPS = 3  # listings after the deletions, for posts that appeared meanwhile
PHASES = ("queued", "discover", "delete", "revoke", "done")
ACTOR = "takedown"

_runtime: tuple[int, Runtime] | None = None


def runtime() -> Runtime:
    """One runtime per process (the work horse is a fork: it builds its own)."""
    global _runtime
    if _runtime is None or _runtime[0] != os.getpid():
        _runtime = (os.getpid(), Runtime.from_environment())
    return _runtime[1]


def run_takedown(takedown_id: int) -> dict[str, Any]:
    """The RQ job: ids in, a small summary out."""
    return execute(runtime(), takedown_id)


def execute(rt: Runtime, takedown_id: int) -> dict[str, Any]:
    lease = Lease(rt.redis, lease_key(rt, takedown_id))
    if not lease.acquire(wait=lease.seconds + 2):
        return {"takedown": takedown_id, "skipped": "another run holds the takedown"}
    try:
        return TakedownRun(rt, takedown_id, lease).run()
    finally:
        lease.release()


class TakedownRun:
    """One run of one takedown: a thread per account, the phase kept in the store."""

    def __init__(self, rt: Runtime, takedown_id: int, lease: Lease):
        self.rt, self.id, self.lease = rt, takedown_id, lease
        self._phases: dict[int, str] = {}
        self._lock = threading.Lock()

    def run(self) -> dict[str, Any]:
        with self.rt.store.transaction() as db:
            takedown = db.get(Takedown, self.id)
            if takedown is None or takedown.status != "running":
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
        if self.lease.lost.is_set():
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
            counts: dict[str, int] = {}
            for item in takedown.items:
                counts[item.outcome] = counts.get(item.outcome, 0) + 1
            takedown.status, takedown.phase, takedown.finished_at = "done", "done", utcnow()
            self.rt.audit(
                db, Event.TAKEDOWN_DONE, actor=ACTOR, target=f"takedown:{self.id}", details=counts
            )
        return [], {"takedown": self.id, **counts}


class CallFailed(Exception):
    def __init__(self, reason: str, attempts: int):
        super().__init__(reason)
        self.reason, self.attempts = reason, attempts


@dataclass(frozen=True)
class Outcome:
    """What one delete call came to, waiting to be stored with others."""

    item_id: int
    outcome: str
    reason: str
    attempts: int


class AccountTakedown:
    """Discover, delete, sweep, revoke: one account's part of a takedown."""

    def __init__(self, run: TakedownRun, account_id: int):
        self.run_, self.rt, self.takedown_id = run, run.rt, run.id
        self.account_id = account_id
        self.pacer = Pacer()
        self._local = threading.local()
        with self.rt.store.session() as db:
            account = db.get(Account, account_id)
            assert account is not None
            self.account = account
            db.expunge(account)
        windows = self._windows()
        self.since = windows.since[account_id]
        self._revoked = account_id in windows.revoked  # by an earlier run of this takedown
        self._finished = account_id not in windows.unfinished()

    def run(self) -> None:
        try:
            if self._finished:
                self.run_.set_phase(self.account_id, "done")
                return
            self.take_down()
            self.run_.set_phase(self.account_id, "revoke")
            self.revoke()
            self.run_.set_phase(self.account_id, "done")
        finally:
            for connector in getattr(self, "_connectors", []):
                connector.close()

    def take_down(self) -> None:
        """Discover, delete, sweep; again while a request widened the window meanwhile."""
        while True:
            self.run_.set_phase(self.account_id, "discover")
            self.discover()
            self.run_.set_phase(self.account_id, "delete")
            self.delete_pending()
            for _ in range(SWEEPS):
                if not self.discover(store=False):
                    break
                self.delete_pending()
            since = self._windows().since[self.account_id]
            if since >= self.since:
                return
            log.info("takedown %s: %s widened to %s", self.takedown_id, self.account.name, since)
            self.since = since

    def _windows(self) -> Windows:
        with self.rt.store.session() as db:
            takedown = db.get(Takedown, self.takedown_id)
            assert takedown is not None
            return takedown_windows(db, takedown)

    # --- platform calls -----------------------------------------------------------------

    def connector(self) -> Any:
        """A connector per thread: connectors are not shared between threads."""
        connector = getattr(self._local, "connector", None)
        if connector is None:
            connector = self._local.connector = connector_for_account(self.rt, self.account)
            with self.run_._lock:
                self.__dict__.setdefault("_connectors", []).append(connector)
        return connector

    def call(self, action: Callable[[Any], T]) -> tuple[T, int]:
        """Call the platform, honouring rate limits and retrying retryable errors."""
        attempts = rate_waits = 0
        while True:
            self.run_.check_lease()
            self.pacer.wait()
            try:
                return action(self.connector()), attempts + 1
            except RetryableError as exc:
                if exc.status == 429 or exc.retry_after is not None:
                    rate_waits += 1
                    if rate_waits > MAX_RATE_WAITS:
                        raise CallFailed(exc.message, attempts + 1) from None
                    self.pacer.pause(min(MAX_WAIT, exc.retry_after or 2.0 ** min(rate_waits, 6)))
                    continue
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    raise CallFailed(exc.message, attempts) from None
                time.sleep(min(30.0, 0.25 * 2**attempts))
            except ConnectorError as exc:  # permanent, or any other refusal
                raise CallFailed(exc.message, attempts + 1) from None
            except Exception as exc:  # a connector bug must fail one item, not the account
                log.warning(
                    "takedown %s: unexpected %s from the platform call",
                    self.account.name,
                    type(exc).__name__,
                )
                raise CallFailed(f"unexpected error ({type(exc).__name__})", attempts + 1) from None

    # --- discovery ------------------------------------------------------------------------

    def discover(self, *, store: bool = True) -> int:
        """Add items for posts not yet known to this takedown; returns how many were added."""
        listed: list[RemotePost] = []
        try:
            listed, _ = self.call(lambda c: c.list_recent(since=self.since, limit=LIST_LIMIT))
        except CallFailed as exc:
            self._note_listing_failure(exc.reason)
        with self.rt.store.transaction() as db:
            known = set(
                db.scalars(
                    select(TakedownItem.remote_id).where(
                        TakedownItem.takedown_id == self.takedown_id,
                        TakedownItem.account_id == self.account_id,
                    )
                )
            )
            added = self._add_postgate_items(db, known, listed) if store else 0
            added += self._add_listed_items(db, known, listed)
        return added

    def _add_postgate_items(self, db: Any, known: set[str], listed: list[RemotePost]) -> int:
        on_platform = {p.remote_id: p for p in listed}
        posts = db.scalars(
            select(Post).where(
                Post.account_id == self.account_id,
                Post.status == "published",
                Post.remote_id.is_not(None),
                Post.published_at >= self.since,
            )
        ).all()
        added = 0
        for post in posts:
            if post.remote_id in known:
                continue
            remote = on_platform.get(post.remote_id)
            evidence = {
                "text": post.text,
                "created_at": (remote.created_at if remote else post.published_at).isoformat(),
                "published_at": post.published_at.isoformat() if post.published_at else None,
                "url": post.remote_url or (remote.url if remote else None),
                "remote_id": post.remote_id,
                "platform_text": remote.text if remote else None,
                "captured_at": utcnow().isoformat(),
            }
            self._add_item(db, post.remote_id, "postgate", evidence, post_id=post.id)
            known.add(post.remote_id)
            added += 1
        return added

    def _add_listed_items(self, db: Any, known: set[str], listed: list[RemotePost]) -> int:
        added = 0
        for remote in listed:
            if remote.remote_id in known:
                continue
            post = db.scalar(
                select(Post).where(
                    Post.account_id == self.account_id, Post.remote_id == remote.remote_id
                )
            )
            if post is not None and post.published_at and post.published_at < self.since:
                continue  # ours, from before the window: not part of this takedown
            evidence = {
                "text": remote.text,
                "created_at": remote.created_at.isoformat(),
                "url": remote.url,
                "remote_id": remote.remote_id,
                "captured_at": utcnow().isoformat(),
            }
            origin = "postgate" if post is not None else "unauthorized"
            self._add_item(db, remote.remote_id, origin, evidence, post_id=post and post.id)
            known.add(remote.remote_id)
            added += 1
        return added

    def _add_item(
        self, db: Any, remote_id: str, origin: str, evidence: dict, *, post_id: int | None
    ) -> None:
        db.add(
            TakedownItem(
                takedown_id=self.takedown_id,
                account_id=self.account_id,
                post_id=post_id,
                remote_id=remote_id,
                origin=origin,
                evidence=evidence,
                outcome="pending",
            )
        )

    def _note_listing_failure(self, reason: str) -> None:
        log.warning(
            "takedown %s: listing %s failed: %s", self.takedown_id, self.account.name, reason
        )
        with self.rt.store.transaction() as db:
            self.rt.audit(
                db,
                Event.TAKEDOWN_ITEM,
                actor=ACTOR,
                target=f"takedown:{self.takedown_id}",
                result="failed",
                details={"account": self.account.name, "listing_failed": reason},
            )

    # --- deletion -------------------------------------------------------------------------

    def delete_pending(self) -> None:
        with self.rt.store.session() as db:
            pending = list(
                db.execute(
                    select(TakedownItem.id, TakedownItem.remote_id)
                    .where(
                        TakedownItem.takedown_id == self.takedown_id,
                        TakedownItem.account_id == self.account_id,
                        TakedownItem.outcome == "pending",
                    )
                    .order_by(TakedownItem.id)
                ).all()
            )
        if not pending:
            return
        with ThreadPoolExecutor(DELETERS_PER_ACCOUNT, f"takedown-{self.account.name}") as pool:
            running = {pool.submit(self._delete, row.id, row.remote_id) for row in pending}
            finished: list[Future[Outcome]] = []
            oldest = 0.0
            while running:
                done, running = wait(running, RECORD_EVERY, FIRST_COMPLETED)
                if done and not finished:
                    oldest = time.monotonic()
                finished += done
                failed = next((f.exception() for f in done if f.exception()), None)
                due = time.monotonic() - oldest >= RECORD_EVERY or len(finished) >= RECORD_BATCH
                if finished and (due or failed is not None or not running):
                    self._record([f.result() for f in finished if not f.exception()])
                    finished = []
                if failed is not None:  # a lost lease: stop, keeping what was recorded
                    pool.shutdown(cancel_futures=True)
                    raise failed

    def _delete(self, item_id: int, remote_id: str) -> Outcome:
        try:
            outcome, attempts = self.call(lambda c: c.delete(remote_id))
            reason = ""
        except CallFailed as exc:
            outcome, attempts, reason = "failed", exc.attempts, exc.reason
        return Outcome(item_id, outcome, reason, attempts)

    def _record(self, outcomes: list[Outcome]) -> None:
        """Store finished deletions, several to a transaction: a commit per deletion made
        the store's single writer, not the platform, the limit. Evidence was stored before
        any delete, so a crash before this commit only means the retry hears 404."""
        with self.rt.store.transaction() as db:
            for one in outcomes:
                self._record_one(db, one)

    def _record_one(self, db: Any, one: Outcome) -> None:
        item = db.get(TakedownItem, one.item_id)
        assert item is not None
        outcome, reason, attempts = one.outcome, one.reason, one.attempts
        if outcome == "not_found" and (item.attempts or attempts > 1):
            reason = "already gone (an interrupted earlier attempt may have deleted it)"
        item.outcome, item.reason = outcome, reason[:2000]
        item.attempts += attempts
        details = {
            "account": self.account.name,
            "remote_id": item.remote_id,
            "origin": item.origin,
            "outcome": outcome,
            "reason": item.reason,
            "created_at": item.evidence.get("created_at"),
            "post": item.post_id,
        }
        self.rt.audit(
            db,
            Event.TAKEDOWN_ITEM,
            actor=ACTOR,
            target=f"takedown:{self.takedown_id}",
            result="ok" if outcome != "failed" else "failed",
            details=details,
        )
        if item.post_id is not None and outcome in ("deleted", "not_found"):
            self._mark_post_deleted(db, item)

    def _mark_post_deleted(self, db: Any, item: TakedownItem) -> None:
        post = db.get(Post, item.post_id)
        if post is None or post.status == "deleted":
            return
        post.status, post.status_reason = "deleted", f"taken down (takedown #{self.takedown_id})"
        post.evidence = item.evidence
        self.rt.audit(
            db,
            Event.POST_DELETE,
            actor=ACTOR,
            target=f"post:{post.id}",
            details={"takedown": self.takedown_id, "remote_id": item.remote_id},
        )

    # --- revocation -----------------------------------------------------------------------

    def revoke(self) -> None:
        """Revoke the token where the platform allows it; the account is compromised anyway.

        The entry records the window the account's part finished for; an account this
        takedown revoked already (its window was widened since) is not asked again.
        """
        reason = ""
        if self._revoked:
            revoked, reason = True, "revoked earlier by this takedown"
        else:
            try:
                revoked, _ = self.call(lambda c: c.revoke_credentials())
            except CallFailed as exc:
                revoked, reason = False, exc.reason
        with self.rt.store.transaction() as db:
            account = db.get(Account, self.account_id)
            assert account is not None
            account.status = "compromised"
            self.rt.audit(
                db,
                Event.ACCOUNT_COMPROMISED,
                actor=ACTOR,
                target=f"account:{account.name}",
                result="ok" if revoked else "not_revoked",
                details={
                    "takedown": self.takedown_id,
                    "account_id": self.account_id,
                    "since": self.since.isoformat(),
                    "credentials_revoked": bool(revoked),
                    "reason": reason or ("" if revoked else "the platform offers no revocation"),
                },
            )
