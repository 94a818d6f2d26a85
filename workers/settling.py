"""Settling an account's stuck claims together: one read-back for all of them (invariant 5).

When answers are lost (a flaky platform answering 5xx, timeouts), many posts of one account
end up ``publishing`` with an unknown outcome at about the same time. Reading the account
back once per post would spend the account's request budget on the same listing again and
again, and starve the very read-backs that settle things. So the resolution is per account:
under the account's read-back lease (one read-back of an account at a time, across
processes) every stale claim of the account is taken, the account is listed once, and each
claim is settled from that listing: found means ``published``; not found means
``scheduled`` again. A job whose post is stuck while another process reads its account back
waits a moment for that read-back (it may settle its post too) rather than firing its own,
and comes back shortly rather than holding a worker while it waits longer.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from postgate import queue
from postgate.platforms.base import ConnectorError, RemotePost
from postgate.platforms.spec import ReadBack
from postgate.runtime import Runtime
from postgate.services.publishing import (
    mark_published,
    note_unresolved,
    publish_key,
    publish_key_time,
    release,
)
from postgate.states import PostStatus
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from workers.claims import post_lease, read_back_slack, stale_claims
from workers.lease import Lease
from workers.readback import Sought, find_on_platform, strategy_for

log = logging.getLogger("postgate.workers.settling")

NO_READ_BACK = "{platform} cannot be read back: check the account and settle the post"
# The read-back lease is renewed every second while its read-back runs; a process that
# dies holding it (a reconciler pass killed with its worker) blocks the account's next
# read-back only this long. It was 30 s: a killed worker's post then waited half a minute.
READ_BACK_LEASE = 5.0
READ_BACK_HEARTBEAT = 1.0
READ_BACK_WAIT = 2.0  # how long a job waits for another process's read-back of its account


class Resolution(enum.StrEnum):
    """What resolving a post's claim came to."""

    NO_CLAIM = ""  # the post is not ``publishing`` (any more), or the claim changed hands
    LIVE = "live"  # the claim is not stale: someone is still working on it
    PUBLISHED = "published"  # found on the platform by reading the account back
    RESCHEDULED = "rescheduled"  # not found: ``scheduled`` again
    UNRESOLVED = "unresolved"  # the account cannot be read back yet: the claim stays
    BUSY = "busy"  # another process is reading the account back: come back in a moment


@dataclass(frozen=True)
class _Stuck:
    post_id: int
    token: str | None
    sought: Sought


def resolve_account(
    rt: Runtime, account_id: int, *, enqueue: bool, keep: int | None = None
) -> dict[int, Resolution] | None:
    """Settle every stale claim of the account with one read-back.

    Posts found ``scheduled`` again are queued when ``enqueue``, except ``keep`` (the post of
    the job asking, which goes on to claim it itself). Posts whose claim is not stale are
    left alone (absent from the answer). None when another process is reading the account
    back and did not finish within ``READ_BACK_WAIT``: nothing was done.
    """
    lease = read_back_lease(rt, account_id)
    if not lease.acquire(wait=READ_BACK_WAIT):
        return None
    try:
        return _resolve_under_lease(rt, account_id, enqueue=enqueue, keep=keep)
    finally:
        lease.release()


def read_back_lease(rt: Runtime, account_id: int) -> Lease:
    """One read-back of the account at a time, across processes."""
    key = rt.key("readback", account_id)
    return Lease(rt.redis, key, seconds=READ_BACK_LEASE, heartbeat=READ_BACK_HEARTBEAT)


def _resolve_under_lease(
    rt: Runtime, account_id: int, *, enqueue: bool, keep: int | None
) -> dict[int, Resolution]:
    with rt.store.session() as db:
        account = db.get(Account, account_id)
        if account is None:
            return {}
        db.expunge(account)
        query = select(Post).where(Post.account_id == account_id)
        posts = list(db.scalars(query.where(Post.status == PostStatus.PUBLISHING)))
        slack = read_back_slack(rt, account_id)
        stuck = [_stuck(post, slack) for post in stale_claims(rt, posts)]
    leases = {s.post_id: post_lease(rt, s.post_id) for s in stuck}
    mine = [s for s in stuck if leases[s.post_id].acquire()]
    try:
        return _settle(rt, account, mine, enqueue=enqueue, keep=keep)
    finally:
        for s in mine:
            leases[s.post_id].release()


def _stuck(post: Post, slack: timedelta) -> _Stuck:
    since = (post.claimed_at or utcnow()) - slack
    key = (publish_key(post.id, post.revision), publish_key_time(post))
    return _Stuck(post.id, post.claim_token, Sought(post.id, post.text, since, key))


def _settle(
    rt: Runtime, account: Account, stuck: list[_Stuck], *, enqueue: bool, keep: int | None
) -> dict[int, Resolution]:
    if not stuck:
        return {}
    strategy = strategy_for(account.platform)
    if strategy == ReadBack.NONE:  # nothing can tell: a person settles it, now
        return _unresolved(rt, stuck, NO_READ_BACK.format(platform=account.platform))
    if strategy == ReadBack.RESEND:  # the receiver deduplicates on the same key
        return {s.post_id: _one(rt, s, None, enqueue=enqueue and s.post_id != keep) for s in stuck}
    try:
        found = find_on_platform(rt, account, [s.sought for s in stuck])
    except (ConnectorError, ValueError) as exc:
        log.warning("%s: cannot read the account back yet: %s", account.name, exc)
        return _unresolved(rt, stuck, str(exc))
    except Exception as exc:  # one unreadable account must not stop the whole pass
        log.error("%s: reading the account back failed (%s)", account.name, type(exc).__name__)
        return _unresolved(rt, stuck, f"unexpected {type(exc).__name__}")
    log.info("%s: one read-back settled %d stuck posts", account.name, len(stuck))
    return {
        s.post_id: _one(rt, s, found.get(s.post_id), enqueue=enqueue and s.post_id != keep)
        for s in stuck
    }


def _unresolved(rt: Runtime, stuck: list[_Stuck], why: str) -> dict[int, Resolution]:
    for s in stuck:
        note_unresolved(rt, s.post_id, s.token, why)
    return {s.post_id: Resolution.UNRESOLVED for s in stuck}


def _one(rt: Runtime, stuck: _Stuck, remote: RemotePost | None, *, enqueue: bool) -> Resolution:
    if remote is not None:
        done = mark_published(rt, stuck.post_id, stuck.token or "", remote, how="read-back")
        return Resolution.PUBLISHED if done else Resolution.NO_CLAIM
    released = release(rt, stuck.post_id, stuck.token)
    if released is None:
        return Resolution.NO_CLAIM
    if enqueue:
        revision, attempts = released
        queue.enqueue_publish(rt, stuck.post_id, revision, None, attempts=attempts, force=True)
    return Resolution.RESCHEDULED
