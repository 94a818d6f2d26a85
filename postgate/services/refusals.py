"""Refused requests in the audit log: authorization failures (403), rate-limited attempts and
attempts while OTP entry is locked (429).

Someone probing what their role may do, or guessing passwords, must leave a trace; but each
audit entry takes the chain's head lock, so a flood of refusals must not turn into a flood of
entries that slows every other action down. Each kind of refusal is therefore recorded the
first time per subject in each minute (a Redis ``SET NX EX`` per subject; when Redis does not
answer, every refusal is recorded). The subject names who and what: the user and the
endpoint for a 403, the limit and the user name or address for a rate limit.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from postgate.audit import Event
from postgate.runtime import Runtime

log = logging.getLogger("postgate.audit")

WINDOW_SECONDS = 60


def first_in_window(rt: Runtime, subject: str) -> bool:
    """True for the first refusal of ``subject`` in the current window."""
    try:
        return bool(rt.redis.set(rt.key("refusal", subject), 1, nx=True, ex=WINDOW_SECONDS))
    except RedisError:
        return True


def record_forbidden(
    rt: Runtime,
    *,
    actor: str,
    method: str,
    path: str,
    endpoint: str,
    reason: str = "",
    source: str = "",
) -> bool:
    """Audit a 403 (``access:forbidden``); False when one was recorded this minute already."""
    return _record_once(
        rt,
        f"403:{actor}:{source}:{method}:{endpoint}",
        Event.ACCESS_FORBIDDEN,
        actor=actor,
        target=f"{method} {path}",
        details={"endpoint": endpoint, "reason": reason[:300]},
        source=source,
    )


def record_rate_limited(
    rt: Runtime, *, limit: str, actor: str, retry_after: int, source: str = ""
) -> bool:
    """Audit a refusal by a rate limit or a lock (``access:rate-limited``), e.g. ``limit``
    ``login-address``, ``login-user-address``, ``login-user-slowed`` or ``otp-locked``."""
    return _record_once(
        rt,
        f"429:{limit}:{actor}:{source}",
        Event.ACCESS_RATE_LIMITED,
        actor=actor,
        target=f"user:{actor}" if actor else f"address:{source}",
        details={"limit": limit, "retry_after": retry_after},
        source=source,
    )


def _record_once(rt: Runtime, subject: str, event: Event, **fields: Any) -> bool:
    if not first_in_window(rt, subject):
        return False
    try:
        with rt.store.transaction() as db:
            rt.audit(db, event, result="refused", **fields)
    except Exception:  # the refusal stands whether or not it could be written down
        log.exception("could not audit %s", event)
    return True
