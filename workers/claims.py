"""Who holds a claim on a post: the Redis lease that says a live worker is on it.

The claim itself lives in the store (:mod:`postgate.services.publishing`: the row moved to
``publishing`` with the worker's token). While a worker holds a claim it also keeps a
**lease** in Redis (``claim:<post>`` = token, a few seconds' TTL, refreshed every second by a
thread). A claim whose lease is gone, and which is older than the settle time, belongs to a
dead worker (or to an attempt whose outcome is unknown): it is *stale*. A stale claim is
resolved by reading the account's recent posts back (:mod:`workers.reconcile`), never by
publishing again blindly: found means ``published``; not found means back to ``scheduled``
for another attempt. Redis being flushed loses a lease for at most one heartbeat; the stale
check looks twice, a heartbeat apart, so a flush alone never makes a live claim stale.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from postgate.budget import platform_clock_skew
from postgate.queue import PUBLISH_TIMEOUT
from postgate.runtime import Runtime
from postgate.store.models import Post
from postgate.store.types import utcnow
from workers.lease import Lease

LEASE_SECONDS = 6
HEARTBEAT_SECONDS = 1.0
HARD_STALE = timedelta(seconds=PUBLISH_TIMEOUT + 60)  # RQ has killed the job by then
READ_BACK_SLACK = timedelta(minutes=2)  # the most a read-back looks back before its claim
CLOCK_MARGIN = 5.0  # seconds added to twice the platform's measured clock skew
MIN_SLACK = timedelta(seconds=10)


def read_back_slack(rt: Runtime, account_id: int) -> timedelta:
    """How long before a claim its post may be stamped by the platform's clock: the skew
    measured from the platform's ``Date`` headers (twice, plus a margin: the header counts
    whole seconds), at least 10 s, at most 2 minutes (also when no skew is known). The
    shorter the slack, the fewer pages a read-back of a busy account reads."""
    skew = platform_clock_skew(rt, account_id)
    if skew is None:
        return READ_BACK_SLACK
    slack = timedelta(seconds=2 * abs(skew) + CLOCK_MARGIN)
    return min(READ_BACK_SLACK, max(MIN_SLACK, slack))


def settle_seconds(rt: Runtime) -> float:
    """How long after a claim its outcome may still be unknown (``claim_settle_seconds``)."""
    return float(rt.settings.claim_settle_seconds)


def lease_key(rt: Runtime, post_id: int) -> str:
    return rt.key("claim", post_id)


def post_lease(rt: Runtime, post_id: int) -> Lease:
    """The lease saying "a live worker holds post N's claim", refreshed every second.

    It survives a Redis flush (the heartbeat puts it back), so a flush alone never makes a
    live claim look stale; :func:`stale_claims` looks twice, a heartbeat apart.
    """
    return Lease(
        rt.redis,
        lease_key(rt, post_id),
        seconds=LEASE_SECONDS,
        heartbeat=HEARTBEAT_SECONDS,
        survive_flush=True,
    )


def stale_claims(rt: Runtime, posts: list[Post], *, now: datetime | None = None) -> list[Post]:
    """The ``publishing`` posts whose claim belongs to nobody alive (see the module
    docstring), looked at together: one pause of two heartbeats for all of them."""
    now = now or utcnow()
    settle = timedelta(seconds=settle_seconds(rt))
    stale, unsure = [], []
    for post in posts:
        age = now - post.claimed_at if post.claimed_at is not None else HARD_STALE
        if age >= HARD_STALE:
            stale.append(post)
        elif age >= settle:
            unsure.append(post)
    unsure = [p for p in unsure if not _leased(rt, p)]
    # A claim whose own job recorded the unknown outcome ended deliberately: no live worker
    # holds it. Should a resolver's lease have been flushed, a second resolver is harmless:
    # every way a claim ends is conditional on its token.
    stale += [p for p in unsure if p.outcome_unknown]
    unsure = [p for p in unsure if not p.outcome_unknown]
    if unsure:
        time.sleep(HEARTBEAT_SECONDS * 2)  # a flushed lease comes back within one heartbeat
        stale += [p for p in unsure if not _leased(rt, p)]
    return stale


def _leased(rt: Runtime, post: Post) -> bool:
    return bool(rt.redis.exists(lease_key(rt, post.id)))
