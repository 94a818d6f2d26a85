"""The watch's readings of the platforms (invariant 13; what they mean: postgate.services.watch).

Two ways to read an account, chosen by its platform's spec:

- **Polling** (:func:`poll_account`, an RQ job on ``postgate-watch``): list the account's posts
  back over the watch window (``[watch] window_hours``), or further back to the last post
  seen, read its profile, and compare. A complete listing also shows edits (``edited_at``)
  and deletions: a Postgate post the previous reading listed that is no longer there (the
  first reading is the baseline). The next reading comes after ``[watch]
  poll_seconds``, or later when the platform's documented quota would otherwise be spent beyond
  the watch's share of it (``QUOTA_SHARE``).
- **Streaming** (:class:`StreamWatch`, a thread): the platform's user stream (Mastodon's
  server-sent events), which shows a post the moment it exists. A stream replays nothing, so
  every (re)connection first opens the stream and then reads the account as a poll does,
  back to the last post seen: what came while the stream was away is found by the listing,
  what comes during the listing waits in the open stream, and what both show is one alert.
  A drop is retried at once, then with backoff up to ``[watch] reconnect_seconds``; while the
  stream cannot be opened, each attempt still reads the account. Profiles are not streamed
  (Mastodon sends no event for them), so they are read every poll interval.

A refused credential (the token revoked on the platform, as whoever took the account over
may do first) is no passing fault: when a listing is refused it, the watch marks the
account ``disconnected`` at once, which tells the admins and the security lead and holds
its posts, rather than retrying with backoff until the next publish meets the same refusal
hours later (:func:`_refused`). The stream's refusal alone decides nothing: Mastodon's
streaming server also answers 401 to a token without the read scope, so the listing that
follows it does. Reconnecting the account brings its watch back.

A post that matches one being published right now (claimed, its answer not yet stored) is
kept aside and judged again at each event or heartbeat, until the store says whose it is.

:func:`supervise` runs every second in the worker's periodic process: it queues the readings
that are due and keeps one stream per streaming account across all workers, each held by a
Redis lease (:class:`workers.lease.Lease`), so a dead worker's streams move to another.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from postgate import queue
from postgate.platforms.base import (
    Connector,
    ConnectorError,
    CredentialsError,
    RemotePost,
    StreamEvent,
)
from postgate.platforms.registry import platform_spec
from postgate.platforms.spec import PlatformSpec
from postgate.runtime import Runtime, process_runtime
from postgate.services import disconnection, watch
from postgate.services.credentials import connector_for_account
from postgate.store.models import Account, WatchState
from postgate.store.types import utcnow
from workers.lease import Lease

log = logging.getLogger("postgate.workers.watch")

LIST_MARGIN = timedelta(minutes=1)  # listings reach this far before the last post seen
STATE_EVERY = 5.0  # seconds between two writes of a stream's ``checked_at``
SHORT_SESSION = 5.0  # a stream that ends sooner counts as a failure (backoff)
LEASE_SECONDS = 30.0
PAGE_SIZE = 40  # posts a listing call returns at most (Mastodon's 40; X's and Bluesky's more)


@dataclass
class Reading:
    """What one reading of an account found."""

    alerts: list[int] = field(default_factory=list)
    pending: list[RemotePost] = field(default_factory=list)
    calls: int = 0


def poll_account(account_id: int) -> dict[str, int]:
    """RQ job: one reading of the account, then the time of the next one in Redis."""
    rt = process_runtime()
    with rt.store.session() as db:  # closed before the platform is called
        account = db.get(Account, account_id)
        if account is None or not watch.watchable(account):
            return {"alerts": 0}
        spec = platform_spec(account.platform)
        connector = connector_for_account(rt, account)
    with connector:
        try:
            reading = read_account(rt, account_id, connector, via="poll")
        except CredentialsError as exc:
            if _refused(rt, account_id, exc, "poll"):
                return {"alerts": 0, "disconnected": 1}
            _poll_again(rt, account_id, spec, calls=1)  # not active: tried again as usual
            return {"alerts": 0, "refused": 1}
        except ConnectorError as exc:
            _problem(rt, account_id, exc.message, "poll")
            raise
    _poll_again(rt, account_id, spec, calls=reading.calls)
    return {"alerts": len(reading.alerts), "pending": len(reading.pending)}


def _poll_again(rt: Runtime, account_id: int, spec: PlatformSpec, *, calls: int) -> None:
    """When the next reading is due: the poll interval, or longer for the platform's quota."""
    interval = watch.poll_interval(rt.settings.watch_poll_seconds, spec.post_quota, calls)
    rt.redis.set(_next_key(rt, account_id), "1", px=int(interval * 1000))


def read_account(
    rt: Runtime, account_id: int, connector: Connector, *, via: str, now: datetime | None = None
) -> Reading:
    """List the account's posts and read its profile; alert on what Postgate did not do."""
    now = now or utcnow()
    with rt.store.transaction() as db:
        state = watch.ensure_state(db, account_id, now)
        started, last_seen = state.started_at, state.last_seen_at
        before, known_hash = state.profile, state.profile_hash
        live_before = dict(state.ours_live) if state.ours_live is not None else None
    window = now - timedelta(hours=rt.settings.watch_window_hours)
    since = (min(window, last_seen) if last_seen else window) - LIST_MARGIN
    listed = connector.list_recent(since=since, limit=None)
    reading = Reading(calls=1 + pages(len(listed)))  # the account's id, then its pages
    found: list[watch.Finding] = []
    with rt.store.session() as db:
        account = db.get(Account, account_id)
        assert account is not None
        for remote in listed:
            findings = watch.findings_for_post(db, account, remote, started)
            if findings is None:
                reading.pending.append(remote)
            else:
                found.extend(findings)
        listed_ids = {p.remote_id for p in listed}
        ours = watch.published_among(db, account, listed_ids)
        if live_before is not None:  # the first reading is the baseline
            found.extend(watch.vanished(db, account, live_before, listed_ids, since))
    live = {p.remote_id: p.created_at.isoformat() for p in listed if p.remote_id in ours}
    profile = connector.profile()
    new_profile: tuple[dict[str, object], str] | None = None
    if profile is not None:
        reading.calls += 1
        finding, after, digest = watch.profile_finding(before, known_hash, profile, now)
        found += [finding] if finding else []
        new_profile = after, digest
    reading.alerts = watch.raise_alerts(rt, account_id, found, via=via)
    _save_state(rt, account_id, via, now, listed, new_profile, live)
    return reading


def _save_state(
    rt: Runtime,
    account_id: int,
    via: str,
    now: datetime,
    listed: list[RemotePost],
    profile: tuple[dict[str, object], str] | None,
    live: dict[str, str],
) -> None:
    with rt.store.transaction() as db:
        state = watch.ensure_state(db, account_id, now)
        newest = max(listed, key=lambda p: p.created_at, default=None)
        if newest is not None and (
            state.last_seen_at is None or newest.created_at > state.last_seen_at
        ):
            state.last_seen_id, state.last_seen_at = newest.remote_id, newest.created_at
        if profile is not None:
            state.profile, state.profile_hash = profile
        state.ours_live = live
        state.checked_at, state.mode, state.problem = now, via, ""


def _problem(rt: Runtime, account_id: int, message: str, via: str) -> None:
    with rt.store.transaction() as db:
        state = watch.ensure_state(db, account_id)
        state.problem, state.mode = message[:500], via


def _refused(rt: Runtime, account_id: int, exc: CredentialsError, via: str) -> bool:
    """The platform refused the account's credentials to the watch: an active account is
    ``disconnected`` (audited, the admins and security lead told) and no longer watched;
    True when it was. A ``compromised`` one stays so (a takedown revoked its token, or told
    the security lead to revoke it by hand), and the watch tries again at its usual pace."""
    _problem(rt, account_id, exc.message, via)
    reason = f"the platform refused the credentials to the watch: {exc.message}"
    return disconnection.disconnect(rt, account_id, reason)


class StreamWatch(threading.Thread):
    """One account's stream, reconnected until ``stop`` is set or its lease is lost."""

    def __init__(self, rt: Runtime, account_id: int, *, lease: Lease | None = None) -> None:
        super().__init__(name=f"postgate-watch-{account_id}", daemon=True)
        self.rt, self.account_id, self.lease = rt, account_id, lease
        self.stop = threading.Event()
        self.connected = threading.Event()  # set while a stream is open and caught up
        self.pending: dict[str, RemotePost] = {}
        self._profile_due = 0.0
        self._state_due = 0.0
        self._newest: RemotePost | None = None

    def run(self) -> None:
        failures = 0
        try:
            while not self._ending():
                began = time.monotonic()
                try:
                    self._session()
                except CredentialsError as exc:
                    _refused(self.rt, self.account_id, exc, "stream")
                except ConnectorError as exc:
                    _problem(self.rt, self.account_id, exc.message, "stream")
                except Exception:
                    log.exception("the watch of account %s failed", self.account_id)
                self.connected.clear()
                self._keep_newest()
                short = time.monotonic() - began < SHORT_SESSION
                failures = failures + 1 if short else 0
                pause = 0.0 if not failures else 0.5 * 2 ** (failures - 1)
                self.stop.wait(min(pause, self.rt.settings.watch_reconnect_seconds))
        finally:
            if self.lease is not None:
                self.lease.release()

    def _keep_newest(self) -> None:
        if self._newest is None:
            return
        try:
            self._save_state()
        except Exception:  # the store is away: the next catch-up lists back further
            log.warning("could not store where the watch of account %s stands", self.account_id)

    def _ending(self) -> bool:
        return self.stop.is_set() or (self.lease is not None and self.lease.lost.is_set())

    def _session(self) -> None:
        with self.rt.store.session() as db:
            account = db.get(Account, self.account_id)
            if account is None or not watch.watchable(account):
                self.stop.set()
                return
            connector = connector_for_account(self.rt, account)
        with connector, ExitStack() as stack:
            try:
                events = stack.enter_context(connector.open_stream())
            except ConnectorError as exc:
                # The listing judges the token: a revoked one, or one without the read
                # scope (Mastodon's REST API answers it 403), is refused there too and
                # disconnects the account as a CredentialsError.
                read_account(self.rt, self.account_id, connector, via="poll")
                if isinstance(exc, CredentialsError):
                    # Only the stream refused it (its 401 also means "no read scope"), and
                    # the listing just took the token: a problem to retry, not a refusal.
                    raise ConnectorError(exc.message, status=exc.status) from exc
                raise
            self._catch_up(connector)
            self.connected.set()
            for event in events:
                self._handle(connector, event)
                if self._ending():
                    return

    def _catch_up(self, connector: Connector) -> None:
        """What the stream missed while it was away: read the account as a poll does."""
        reading = read_account(self.rt, self.account_id, connector, via="poll")
        self.pending.update({p.remote_id: p for p in reading.pending})
        self._profile_due = time.monotonic() + self.rt.settings.watch_poll_seconds

    def _handle(self, connector: Connector, event: StreamEvent) -> None:
        if event.kind in ("post", "edit") and event.post is not None:
            self._judge(event.post, seen=event.kind == "post")
        elif event.kind == "delete" and event.remote_id:
            self.pending.pop(event.remote_id, None)
            with self.rt.store.session() as db:
                account = db.get(Account, self.account_id)
                finding = (
                    watch.finding_for_delete(db, account, event.remote_id) if account else None
                )
            if finding is not None:
                watch.raise_alert(self.rt, self.account_id, finding, via="stream")
        self._tick(connector)

    def _judge(self, remote: RemotePost, *, seen: bool) -> None:
        with self.rt.store.session() as db:
            account = db.get(Account, self.account_id)
            state = db.get(WatchState, self.account_id)
            if account is None or state is None:
                return
            findings = watch.findings_for_post(db, account, remote, state.started_at)
        if findings is None:
            self.pending[remote.remote_id] = remote
            return
        self.pending.pop(remote.remote_id, None)
        for finding in findings:
            watch.raise_alert(self.rt, self.account_id, finding, via="stream")
        if seen and (self._newest is None or remote.created_at > self._newest.created_at):
            self._newest = remote  # stored with the state, at most STATE_EVERY later

    def _tick(self, connector: Connector) -> None:
        """At each event and heartbeat: posts in flight judged again, the profile when due."""
        for remote in list(self.pending.values()):
            self._judge(remote, seen=False)
        now = time.monotonic()
        if now >= self._profile_due:
            self._profile_due = now + self.rt.settings.watch_poll_seconds
            self._read_profile(connector)
        if now >= self._state_due:
            self._state_due = now + STATE_EVERY
            self._save_state()

    def _save_state(self) -> None:
        """Where the stream stands; the newest post it showed is where a catch-up after a
        drop lists back to (with a margin), so a late write only makes that listing longer."""
        with self.rt.store.transaction() as db:
            state = watch.ensure_state(db, self.account_id)
            newest = self._newest
            if newest is not None and (
                state.last_seen_at is None or newest.created_at > state.last_seen_at
            ):
                state.last_seen_id, state.last_seen_at = newest.remote_id, newest.created_at
            state.checked_at, state.mode, state.problem = utcnow(), "stream", ""

    def _read_profile(self, connector: Connector) -> None:
        profile = connector.profile()
        if profile is None:
            return
        with self.rt.store.session() as db:
            state = db.get(WatchState, self.account_id)
            before, known = (state.profile, state.profile_hash) if state else (None, "")
        finding, after, digest = watch.profile_finding(before, known, profile, utcnow())
        if finding is not None:
            watch.raise_alert(self.rt, self.account_id, finding, via="stream")
        with self.rt.store.transaction() as db:
            state = watch.ensure_state(db, self.account_id)
            state.profile, state.profile_hash = after, digest


_streams: dict[int, StreamWatch] = {}


def supervise(rt: Runtime) -> None:
    """Queue the readings that are due; keep a stream for each streaming account."""
    if not rt.settings.watch_enabled:
        return
    with rt.store.session() as db:
        accounts = [(a.id, watch.streams(a)) for a in watch.watched_accounts(db)]
    wanted = {account_id for account_id, streaming in accounts if streaming}
    for account_id, streaming in accounts:
        if streaming:
            _keep_stream(rt, account_id)
        elif not rt.redis.exists(_next_key(rt, account_id)):
            queue.enqueue_watch_poll(rt, account_id)
            # Until the reading says when the next is due; a lost job is queued again.
            rt.redis.set(_next_key(rt, account_id), "queued", px=queue.WATCH_POLL_TIMEOUT * 1000)
    for account_id, watcher in list(_streams.items()):
        if account_id not in wanted or not watcher.is_alive():
            watcher.stop.set()
            del _streams[account_id]


def _keep_stream(rt: Runtime, account_id: int) -> None:
    if account_id in _streams and _streams[account_id].is_alive():
        return
    lease = Lease(rt.redis, rt.key("watch-stream", account_id), seconds=LEASE_SECONDS, heartbeat=5)
    if lease.acquire():
        watcher = _streams[account_id] = StreamWatch(rt, account_id, lease=lease)
        watcher.start()


def supervise_safely(rt: Runtime) -> None:
    try:
        supervise(rt)
    except RedisError:
        pass  # Redis is away: the streams already open go on; the rest waits for it
    except Exception:
        log.exception("supervising the watch failed")


def _next_key(rt: Runtime, account_id: int) -> str:
    return rt.key("watch-next", account_id)


def stop_streams() -> None:
    """Stop every stream this process holds (tests, shutdown)."""
    for watcher in _streams.values():
        watcher.stop.set()
    _streams.clear()


def pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))
