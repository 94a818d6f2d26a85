"""One account's part of a takedown: discover, delete, sweep, revoke, against the platform.

This is the side that talks to the platform: a connector per thread, the pacing the
platform's rate limits ask for, retries of what may pass, and a few delete calls in flight
at once. What it learns goes to the store through :class:`~workers.takedown_items.AccountItems`
before it acts on it; :class:`~workers.takedown.TakedownRun` runs one of these per account,
each in its own thread.

The tunables below are read here at call time, so a test patches them on this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from redis.exceptions import RedisError

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.platforms.base import ConnectorError, CredentialsError, RemotePost, RetryableError
from postgate.platforms.registry import PLATFORMS
from postgate.runtime import Runtime
from postgate.services.credentials import connector_for_account
from postgate.services.crisis import holding_text
from postgate.services.evidence_media import capture, refs_for
from postgate.services.freezes import lock_accounts
from postgate.services.manual_steps import manual_revoke
from postgate.services.takedown_manual import DELETE_BY_HAND, capabilities_of
from postgate.services.takedown_scope import Scope
from postgate.services.takedown_windows import (
    Windows,
    finish_account,
    record_pace,
    takedown_windows,
)
from postgate.states import AccountStatus, ItemOutcome
from postgate.store.models import Account, Takedown
from workers.pacing import Pacer
from workers.takedown_items import ACTOR, AccountItems, Outcome, Unrecorded
from workers.takedown_pace import DeletionPace
from workers.tokens import LEASE_SECONDS as REFRESH_LEASE_SECONDS
from workers.tokens import refresh_lease

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
NO_REVOCATION = "the platform offers no revocation through its API"
PUBLIC_AUDIENCES = ("public", "unlisted")  # what any listing of the account shows
CONFIRMED_GONE = (
    "gone when the takedown resumed: a delete call of an earlier run, whose answer was not"
    " stored, took it down; absent from a complete listing of the account and answered 404"
    " when read on its own, so no delete call was sent again"
)


class Run(Protocol):
    """What an account's part needs of the run it belongs to: the runtime, the takedown, a
    place to report its phase, and the lease (:class:`workers.takedown.TakedownRun`)."""

    rt: Runtime
    id: int

    def set_phase(self, account_id: int, phase: str) -> None: ...

    def check_lease(self) -> None:
        """Raise ``LeaseLost`` once another run took the takedown over."""


class CallFailed(Exception):
    """A platform call that will not succeed: its reason and attempts go on the item."""

    def __init__(self, reason: str, attempts: int):
        super().__init__(reason)
        self.reason, self.attempts = reason, attempts


class AccountTakedown:
    """Discover, delete, sweep, revoke: one account's part of a takedown."""

    def __init__(self, run: Run, account_id: int):
        self.run_, self.rt, self.takedown_id = run, run.rt, run.id
        self.account_id = account_id
        self.pacer = Pacer()
        self.pace = DeletionPace()
        self._local = threading.local()
        self._connectors: list[Any] = []  # every thread's, to close at the end
        self._connectors_lock = threading.Lock()
        with self.rt.store.session() as db:
            account = db.get(Account, account_id)
            assert account is not None
            self.account = account
            db.expunge(account)
        self.items = AccountItems(self.rt, self.takedown_id, account_id, self.account.name)
        with self.rt.store.session() as db:
            takedown = db.get(Takedown, self.takedown_id)
            assert takedown is not None
            self.scope = Scope.from_json(takedown.scope)
        windows = self._windows()
        self.since = windows.since[account_id]
        self._revoked = account_id in windows.revoked  # by an earlier run of this takedown
        self._finished = account_id not in windows.unfinished()
        self.history_gap = ""  # why the platform's history could not be read, if it could not

    def run(self) -> None:
        try:
            if self._finished:
                self.run_.set_phase(self.account_id, "done")
                return
            self.take_down()
            gaps = "; ".join(gap for gap in (self.history_gap, self.verify()) if gap)
            self.run_.set_phase(self.account_id, "revoke")
            self.revoke(gaps)
            self.run_.set_phase(self.account_id, "done")
        finally:
            for connector in self._connectors:
                connector.close()

    def take_down(self) -> None:
        """Discover, delete, sweep; again while a request widened the window meanwhile."""
        while True:
            self.run_.set_phase(self.account_id, "discover")
            self.discover()
            self.neutralise_pending()
            self.run_.set_phase(self.account_id, "delete")
            self.delete_pending()
            for _ in range(SWEEPS):
                if not self.discover(store=False):
                    break
                self.delete_pending()
            since, scope = self._windows().since[self.account_id], self._scope()
            if since >= self.since and scope == self.scope:
                return
            log.info("takedown %s: %s widened to %s", self.takedown_id, self.account.name, since)
            self.since, self.scope = min(since, self.since), scope

    def _scope(self) -> Scope:
        with self.rt.store.session() as db:
            takedown = db.get(Takedown, self.takedown_id)
            assert takedown is not None
            return Scope.from_json(takedown.scope)

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
            connector = self._local.connector = connector_for_account(  # its pacer waits
                self.rt, self.account, max_wait=0.0, budget_required=False
            )
            with self._connectors_lock:
                self._connectors.append(connector)
        return connector

    def call(self, action: Callable[[Any], T], *, deleting: bool = False) -> tuple[T, int]:
        """Call the platform, honouring rate limits and retrying retryable errors; a delete
        refused for the deletion limit (``deleting``) tells the pace what it learnt."""
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
                    if deleting and exc.status == 429 and exc.retry_after is not None:
                        self._learnt(self.pace.refused(exc.retry_after))
                    wait = exc.retry_after
                    wait = 2.0 ** min(rate_waits, 6) if wait is None else max(wait, 0.05)
                    self.pacer.pause(min(MAX_WAIT, wait))
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
        """List the account's posts in the window and add items for those not yet known;
        returns how many were added. A sweep (``store=False``) adds only what is listed."""
        listed: list[RemotePost] = []
        try:  # the whole collection: an old post may have been edited in the window
            listed, _ = self.call(lambda c: c.list_recent(since=None, limit=LIST_LIMIT))
        except CallFailed as exc:
            self.items.note_listing_failure(exc.reason)
            written = self.written(listed)
            return self.items.add(listed, self.since, self.scope, published=store, written=written)
        written = self.written(listed)
        added = self.items.add(listed, self.since, self.scope, published=store, written=written)
        self.settle_earlier_deletes(listed)
        return added

    def settle_earlier_deletes(self, listed: list[RemotePost]) -> None:
        """Record deleted, without another delete call, the items whose delete call an
        earlier run may have sent without storing the answer (a crash), that this complete
        listing no longer shows and that the platform says are gone when asked for alone.

        Only items with a delete call counted (``attempts > 0``): a post merely missing
        from a listing may be the listing's fault, and is deleted as usual. ``listed`` is a
        listing that read every page (a failed one never gets here); when it stopped at
        ``LIST_LIMIT``, only posts newer than its oldest count as covered; a post of an
        audience the listing cannot show is not judged by it. The absent ones are each
        read on their own (Mastodon: ``GET /api/v1/statuses/:id``, from the general request
        budget, not the 30 deletions per 30 minutes): a 404 settles the item; a post the
        platform still shows (a listing that left it out), a read that fails, or a platform
        that cannot be asked leaves the item to be deleted again, where a 404 also counts
        as deleted (:meth:`AccountItems.record`)."""
        candidates = self.items.sent_unrecorded()
        if not candidates:
            return
        shown = {post.remote_id for post in listed}
        absent = [c for c in candidates if c.remote_id not in shown and self._judged(c, listed)]
        if not absent:
            return

        def gone(remote_id: str) -> bool:
            try:
                exists, _ = self.call(lambda c: c.post_exists(remote_id))
            except CallFailed as exc:
                log.info("takedown %s: could not read %s: %s", self.takedown_id, remote_id, exc)
                return False
            return exists is False

        with ThreadPoolExecutor(DELETERS_PER_ACCOUNT, f"confirm-{self.account.name}") as pool:
            verdicts = list(pool.map(lambda item: gone(item.remote_id), absent))
        confirmed = [item.id for item, verdict in zip(absent, verdicts, strict=True) if verdict]
        log.info(
            "takedown %s: %s: %d of %d earlier delete calls confirmed without sending again",
            self.takedown_id,
            self.account.name,
            len(confirmed),
            len(absent),
        )
        self.items.record_confirmed(confirmed, CONFIRMED_GONE)

    def _judged(self, item: Unrecorded, listed: list[RemotePost]) -> bool:
        """Whether a complete ``listed`` would show ``item`` if it were still there: its
        audience is one the listing shows, and it is newer than the oldest listed post when
        the listing stopped at ``LIST_LIMIT``."""
        sees_all = capabilities_of(self.account.platform).list_non_public
        if not sees_all and item.visibility not in PUBLIC_AUDIENCES:
            return False
        if len(listed) < LIST_LIMIT:
            return True
        oldest = min(post.created_at for post in listed)
        return item.created_at is not None and item.created_at > oldest

    def written(self, listed: list[RemotePost]) -> set[str]:
        """Which listed posts the platform's own history shows written in the window
        (Bluesky: the repository's commits), whatever dates they claim. When it cannot be
        read, the takedown goes on by the posts' times and the account reports a gap: a
        post with a back-dated date and record key may have escaped."""
        if not listed:
            return set()
        try:
            written, _ = self.call(lambda c: c.written_since(self.since, listed))
        except CallFailed as exc:
            self.history_gap = (
                f"the platform's history could not be read ({exc.reason}): a post whose"
                " dates were back-dated may have escaped; check the account on the platform"
            )
            log.warning("takedown %s: %s", self.takedown_id, self.history_gap)
            return set()
        if written is not None:
            self.history_gap = ""
        return written or set()

    # --- deletion -------------------------------------------------------------------------

    def delete_pending(self) -> None:
        """Delete the pending items, a few calls at a time, storing outcomes in batches."""
        self.capture_media()
        pending = self.items.pending()
        if not pending:
            return
        self.items.mark_sending([row.id for row in pending])
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
                    self.items.record([f.result() for f in finished if not f.exception()])
                    finished = []
                if failed is not None:  # a lost lease: stop, keeping what was recorded
                    pool.shutdown(cancel_futures=True)
                    raise failed

    def _learnt(self, pace: dict[str, Any] | None) -> None:
        """Store what a refused delete taught about the deletion limit (for the estimate)."""
        if pace is not None:
            with self.rt.store.transaction() as db:
                takedown = db.get(Takedown, self.takedown_id)
                assert takedown is not None
                record_pace(db, takedown, self.account_id, pace)

    # --- media evidence -------------------------------------------------------------------

    def capture_media(self) -> None:
        """Download the media files of every item not yet captured, a few at a time, before
        any is neutralised or deleted (invariant 8); a file that cannot be had is noted in
        the evidence with why, and the takedown goes on."""
        todo = self.items.uncaptured()
        with_files = [(i, r) for i, r in todo if refs_for(self.rt, self.account, r)]
        have = {i for i, _ in with_files}
        self.items.store_media({i: [] for i, _ in todo if i not in have})

        def one(item_id: int, record: Any) -> None:
            self.run_.check_lease()
            self.items.store_media({item_id: capture(self.rt, self.account, record)})

        with ThreadPoolExecutor(DELETERS_PER_ACCOUNT, f"evidence-{self.account.name}") as pool:
            for future in [pool.submit(one, i, record) for i, record in with_files]:
                future.result()

    # --- neutralising ---------------------------------------------------------------------

    def neutralise_pending(self) -> None:
        """Where the platform lets the account edit its posts, replace each pending post's
        text with the holding text at once (its evidence is stored already), so nothing of
        the attacker's stays readable while deletions wait for the platform's deletion limit
        (Mastodon: 30 per 30 minutes). Edits count against the general limit only. An edit
        that fails leaves the item pending: it is deleted all the same."""
        self.capture_media()
        spec = PLATFORMS.get(self.account.platform)
        text = holding_text(self.rt)
        if spec is None or not spec.capabilities.edit or not text:
            return
        pending = [row for row in self.items.pending() if row.outcome == ItemOutcome.PENDING]
        if not pending:
            return
        with ThreadPoolExecutor(DELETERS_PER_ACCOUNT, f"neutralise-{self.account.name}") as pool:
            done = list(
                pool.map(lambda row: self._neutralise(row.id, row.remote_id, text), pending)
            )
        self.items.record_neutralised([item_id for item_id in done if item_id is not None])

    def _neutralise(self, item_id: int, remote_id: str, text: str) -> int | None:
        try:
            outcome, _ = self.call(lambda c: c.edit(remote_id, text))
        except CallFailed as exc:
            log.info("takedown %s: could not neutralise %s: %s", self.takedown_id, remote_id, exc)
            return None
        return item_id if outcome == ItemOutcome.NEUTRALISED else None

    def _delete(self, item_id: int, remote_id: str) -> Outcome:
        if not capabilities_of(self.account.platform).delete:  # said in the preview too
            return Outcome(item_id, ItemOutcome.FAILED, DELETE_BY_HAND, 0)
        try:
            outcome, attempts = self.call(_delete_once(remote_id), deleting=True)
            self.pace.deleted()
            reason = ""
        except CallFailed as exc:
            outcome, attempts, reason = ItemOutcome.FAILED, exc.attempts, exc.reason
        return Outcome(item_id, outcome, reason, attempts)

    # --- revocation -----------------------------------------------------------------------

    # --- verification ---------------------------------------------------------------------

    def verify(self) -> str:
        """List the account again and compare: an item the platform still lists becomes
        ``still_live``, and when the listing fails every deleted item is ``unverified``.
        Returns what could not be verified on the account as a whole ("" when nothing): the
        platform counting more posts than its listing shows (posts this token cannot see).
        Once this takedown revoked the credential (a window widened afterwards), nothing can
        be listed: the earlier check stands and the widened part is a gap."""
        if self._revoked:
            return (
                "the window was widened after the credential was revoked: posts from the"
                " earlier part could not be listed; check the account on the platform"
            )
        try:
            listed, _ = self.call(lambda c: c.list_recent(since=None, limit=LIST_LIMIT))
            info, _ = self.call(lambda c: c.verify_credentials())
        except CallFailed as exc:
            reason = f"could not list the account again to check: {exc.reason}"
            self.items.mark_unverified(reason)
            return reason
        self.items.compare(
            {p.remote_id for p in listed}, "still listed by the platform after the deletion"
        )
        if info.posts_count is not None and info.posts_count > len(listed):
            return (
                f"the platform counts {info.posts_count} posts on the account but lists only"
                f" {len(listed)}: some cannot be seen with this credential; check the account"
                " on the platform"
            )
        if len(listed) >= LIST_LIMIT:
            return f"the account has more than {LIST_LIMIT} posts: only the newest were checked"
        return ""

    def revoke(self, gaps: str = "") -> None:
        """Revoke the token where the platform allows it, then check that it no longer works;
        the account is compromised anyway.

        A credential counts as revoked only once verifying it fails with a credentials error:
        a refused revocation (Mastodon without the app's client pair), a platform that cannot
        revoke (Bluesky app passwords, webhooks) or a token that still works afterwards
        leaves ``credentials_revoked: false`` with the reason and the step to take by hand.
        The entry records the window the account's part finished for; an account this
        takedown revoked already (its window was widened since) is not asked again.
        """
        with self._refresh_held():
            self._record_revocation(gaps)

    @contextmanager
    def _refresh_held(self) -> Iterator[None]:
        """Hold the account's token-refresh lease from the revocation until the account is
        marked compromised, with its credentials read afresh: a refresh during the takedown
        may have rotated the token (X rotates refresh tokens too), and revoking the one read
        at the start would leave the new pair alive. Once compromised, the refresh job leaves
        the account alone. Without Redis no refresh can run either, so the revocation goes on."""
        lease = refresh_lease(self.rt, self.account_id)
        try:
            held = lease.acquire(wait=REFRESH_LEASE_SECONDS)
        except RedisError:
            held = False
        try:
            self._reload_credentials()
            yield
        finally:
            if held:
                lease.release()

    def _reload_credentials(self) -> None:
        """This thread's connector rebuilt from the account as the store has it now."""
        with self.rt.store.session() as db:
            account = db.get(Account, self.account_id)
            assert account is not None
            db.expunge(account)
        self.account = account
        connector = getattr(self._local, "connector", None)
        self._local.connector = None
        if connector is not None:
            with self._connectors_lock:
                self._connectors.remove(connector)
            connector.close()

    def _record_revocation(self, gaps: str) -> None:
        if self._revoked:
            revoked, reason = True, "revoked earlier by this takedown"
        else:
            revoked, reason = self._revoke_and_check()
        if not revoked:
            reason = f"{reason}. By hand: {manual_revoke(self.account.platform)}"
        with self.rt.store.transaction() as db:
            lock_accounts(db, [self.account_id])  # as a joining request does
            account = db.get(Account, self.account_id)
            takedown = db.get(Takedown, self.takedown_id)
            assert account is not None and takedown is not None
            db.refresh(takedown)
            account.status = AccountStatus.COMPROMISED
            finish_account(
                db, takedown, self.account_id, self.since, revoked, reason, gaps, self.scope
            )
            self.rt.audit(
                db,
                Event.ACCOUNT_COMPROMISED,
                actor=ACTOR,
                target=f"account:{account.name}",
                result="ok" if revoked else "not_revoked",
                details=payloads.account_compromised(
                    self.takedown_id, self.account_id, self.since, revoked, reason, gaps
                ),
            )

    def _revoke_and_check(self) -> tuple[bool, str]:
        """``(revoked, reason)``: ask the platform to revoke, then verify the credential."""
        spec = PLATFORMS.get(self.account.platform)
        asked = ""
        if spec is not None and not spec.capabilities.revoke:
            asked = NO_REVOCATION
        else:
            try:
                offered, _ = self.call(lambda c: c.revoke_credentials())
                if not offered:
                    asked = NO_REVOCATION
            except CallFailed as exc:
                asked = f"the revocation failed: {exc.reason}"
        try:
            dead, _ = self.call(_credential_is_dead)
        except CallFailed as exc:
            return False, asked or f"could not check the revocation: {exc.reason}"
        if dead:
            return True, ""
        if asked == NO_REVOCATION:  # Bluesky's app password: it was tried, and it logs in
            return False, f"{asked}, and the credential still works (checked)"
        if asked:
            return False, asked
        return False, "the platform accepted the revocation but the credential still works"


def _delete_once(remote_id: str) -> Callable[[Any], str]:
    """The delete call, as :meth:`AccountTakedown.call` repeats it: once a call's outcome is
    unknown (its answer lost to a timeout, a 5xx), the post is read alone before it is sent
    again, and a 404 ends it as ``not_found``, which the item's count of calls makes a
    deletion of ours: a delete call saved, a minute at Mastodon's 30 per 30 minutes. A read
    that fails settles nothing (and teaches the deletion pace nothing): the delete goes again."""
    unknown = False

    def action(connector: Any) -> str:
        nonlocal unknown
        if unknown:
            try:
                if connector.post_exists(remote_id) is False:
                    return str(ItemOutcome.NOT_FOUND)
            except ConnectorError as exc:
                log.info("takedown: could not read %s before deleting again: %s", remote_id, exc)
        try:
            return str(connector.delete(remote_id))
        except RetryableError as exc:
            unknown = unknown or exc.outcome_unknown
            raise

    return action


def _credential_is_dead(connector: Any) -> bool:
    """True when the platform refuses the credential as invalid or revoked."""
    try:
        connector.verify_credentials()
    except CredentialsError:
        return True
    return False
