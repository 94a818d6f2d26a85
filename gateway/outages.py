"""What counts as the store or Redis being away, for the answers (503 with ``Retry-After``)
and for what a request does after its transaction failed."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

# What a store or Redis that does not answer (restarting, failing over, busy) raises. Such a
# request is safe to repeat: nothing was committed, so the client is told when to retry.
OUTAGES = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` is an outage, or was raised while one was being handled (a cleanup
    that needed the store too, an object the failed transaction expired): the request
    failed because the store or Redis went away, whatever was raised last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OUTAGES):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
