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

from postgate.queue import PUBLISH_TIMEOUT
from postgate.runtime import Runtime
from postgate.store.models import Post
from postgate.store.types import utcnow
from workers.lease import Lease

LEASE_SECONDS = 6
HEARTBEAT_SECONDS = 1.0
HARD_STALE = timedelta(seconds=PUBLISH_TIMEOUT + 60)  # RQ has killed the job by then
READ_BACK_SLACK = timedelta(minutes=2)


def settle_seconds(rt: Runtime) -> float:
    """How long after a claim its outcome may still be unknown (``claim_settle_seconds``)."""
    return float(rt.settings.claim_settle_seconds)


def lease_key(rt: Runtime, post_id: int) -> str:
    return rt.key("claim", post_id)


def post_lease(rt: Runtime, post_id: int) -> Lease:
    """The lease saying "a live worker holds post N's claim", refreshed every second.

    It survives a Redis flush (the heartbeat puts it back), so a flush alone never makes a
    live claim look stale; :func:`claim_is_stale` looks twice, a heartbeat apart.
    """
    return Lease(
        rt.redis,
        lease_key(rt, post_id),
        seconds=LEASE_SECONDS,
        heartbeat=HEARTBEAT_SECONDS,
        survive_flush=True,
    )


def claim_is_stale(rt: Runtime, post: Post, *, now: datetime | None = None) -> bool:
    """Whether a ``publishing`` claim belongs to nobody alive (see the module docstring)."""
    now = now or utcnow()
    if post.claimed_at is None:
        return True
    age = now - post.claimed_at
    if age >= HARD_STALE:
        return True
    if age < timedelta(seconds=settle_seconds(rt)):
        return False
    key = lease_key(rt, post.id)
    if rt.redis.exists(key):
        return False
    time.sleep(HEARTBEAT_SECONDS * 2)  # a flushed lease comes back within one heartbeat
    return not rt.redis.exists(key)
