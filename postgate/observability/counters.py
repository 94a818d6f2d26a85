"""Counters of events that leave no row in the store, kept in Redis and shared by all processes.

Most of what Postgate counts is already recorded in the store (posts, takedowns, the audit
log), and :mod:`postgate.observability.metrics` reads it there at scrape time. A few events
are not, such as a platform answering 429 before a retry succeeds: those are counted here,
one Redis hash per metric, so every worker on every machine adds to the same number and
any web process can report it. A Redis flush resets them, which Prometheus reads as a
counter reset, not as lost data. Counting never fails the work that is being counted.
"""

from __future__ import annotations

import json
import logging

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger("postgate.metrics")

PLATFORM_ERRORS = "platform_errors"  # labels: platform, kind (retryable, permanent, ...)
NOTIFICATIONS = "notifications"  # labels: channel (user, org, env, email, inapp), result
KNOWN = (PLATFORM_ERRORS, NOTIFICATIONS)


def _key(prefix: str, metric: str) -> str:
    return f"{prefix}metrics:{metric}"


def _field(labels: dict[str, str]) -> str:
    return json.dumps(labels, sort_keys=True, separators=(",", ":"))


def count(redis: Redis, prefix: str, metric: str, amount: int = 1, **labels: str) -> None:
    """Add ``amount`` to ``metric`` with these labels; a Redis failure is only logged."""
    try:
        redis.hincrby(_key(prefix, metric), _field(labels), amount)
    except RedisError as exc:
        log.warning("metric %s not counted: %s", metric, type(exc).__name__)


def read(redis: Redis, prefix: str, metric: str) -> list[tuple[dict[str, str], int]]:
    """Every label set of ``metric`` with its count (empty when Redis holds none)."""
    raw = redis.hgetall(_key(prefix, metric))
    values = []
    for field, amount in raw.items():
        labels = json.loads(field)
        values.append(({str(k): str(v) for k, v in labels.items()}, int(amount)))
    return sorted(values, key=lambda pair: sorted(pair[0].items()))
