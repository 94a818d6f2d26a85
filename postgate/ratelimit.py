"""Fixed-window rate limits shared by every web process and worker: in Redis, and in the
store while Redis does not answer.

A limit is a counter per bucket that starts at the first hit and lasts ``window`` seconds
(Redis ``INCR`` with ``EXPIRE NX``). When Redis fails, the same counter is kept in the
store's ``rate_limit_counts`` table by one ``INSERT ... ON CONFLICT DO UPDATE``, atomic on
SQLite and PostgreSQL alike, so logins stay both possible and limited during a Redis outage
(the security lead must be able to sign in and freeze). After a failure this process leaves
Redis alone for :data:`REDIS_RETRY_SECONDS`, so an unreachable Redis (a connect timeout
rather than a refusal) slows no login down more than once. Counts do not move between the
two: a Redis that comes back starts from what it held, a window's worth of leniency at most.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisError
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from postgate.runtime import Runtime
from postgate.store.models import RateLimitCount

log = logging.getLogger("postgate.ratelimit")

REDIS_RETRY_SECONDS = 15.0
T = TypeVar("T")

_redis_away_until: dict[str, float] = {}


def hit(rt: Runtime, bucket: str, limit: int, window: int) -> int:
    """Count one attempt in ``bucket``: 0 while within ``limit``, else the seconds to wait.

    The caller raises :class:`~postgate.errors.RateLimited` with a message of its own, which
    names what was limited in a sentence a translation can follow.
    """
    count, ttl = increment(rt, bucket, window)
    if count <= limit:
        return 0
    return ttl if ttl > 0 else window


def increment(rt: Runtime, bucket: str, window: int) -> tuple[int, int]:
    """Add one to ``bucket``'s count; (the count, seconds left in its window)."""
    return _either(
        rt,
        lambda: _redis_increment(rt, bucket, window),
        lambda: _store_increment(rt, bucket, window),
    )


def count(rt: Runtime, bucket: str) -> int:
    """``bucket``'s count in its current window (0 when none is open)."""
    return _either(rt, lambda: _redis_count(rt, bucket), lambda: _store_count(rt, bucket))


def reset(rt: Runtime, bucket: str) -> None:
    _either(rt, lambda: rt.redis.delete(rt.key("rl", bucket)), lambda: _store_reset(rt, bucket))


def _either(rt: Runtime, in_redis: Callable[[], T], in_store: Callable[[], T]) -> T:
    url = rt.settings.redis_url
    if time.monotonic() >= _redis_away_until.get(url, 0.0):
        try:
            return in_redis()
        except RedisError as exc:
            _redis_away_until[url] = time.monotonic() + REDIS_RETRY_SECONDS
            log.warning("Redis failed (%s): rate limits are kept in the store", type(exc).__name__)
    return in_store()


def _redis_increment(rt: Runtime, bucket: str, window: int) -> tuple[int, int]:
    key = rt.key("rl", bucket)
    pipe = rt.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    pipe.ttl(key)
    value, _, ttl = pipe.execute()
    return int(value), int(ttl or 0)


def _redis_count(rt: Runtime, bucket: str) -> int:
    value = rt.redis.get(rt.key("rl", bucket))
    return int(value) if value else 0


def _row_key(rt: Runtime, bucket: str) -> str:
    key = rt.key("rl", bucket)
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _store_increment(rt: Runtime, bucket: str, window: int) -> tuple[int, int]:
    now = int(time.time())
    table = RateLimitCount.__table__
    dialect = postgresql if rt.store.dialect == "postgresql" else sqlite
    expired = table.c.expires_at <= now
    upsert = (
        dialect.insert(table)
        .values(bucket=_row_key(rt, bucket), count=1, expires_at=now + window)
        .on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={
                "count": case((expired, 1), else_=table.c.count + 1),
                "expires_at": case((expired, now + window), else_=table.c.expires_at),
            },
        )
        .returning(table.c.count, table.c.expires_at)
    )
    with rt.store.transaction() as db:
        value, expires_at = db.execute(upsert).one()
        db.execute(delete(RateLimitCount).where(RateLimitCount.expires_at < now - 60))
    return int(value), int(expires_at) - now


def _store_count(rt: Runtime, bucket: str) -> int:
    with rt.store.session() as db:
        value = db.scalar(
            select(RateLimitCount.count).where(
                RateLimitCount.bucket == _row_key(rt, bucket),
                RateLimitCount.expires_at > int(time.time()),
            )
        )
    return int(value or 0)


def _store_reset(rt: Runtime, bucket: str) -> None:
    with rt.store.transaction() as db:
        db.execute(delete(RateLimitCount).where(RateLimitCount.bucket == _row_key(rt, bucket)))
