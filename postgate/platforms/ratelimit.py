"""How long a platform asks us to wait, from its response headers.

Each platform speaks its own dialect: ``Retry-After`` (RFC 9110: seconds or an
HTTP-date), Mastodon's ``X-RateLimit-Reset`` (ISO 8601 time), X's
``x-rate-limit-reset`` and Bluesky's ``ratelimit-reset`` (epoch seconds).
Absolute times are measured against the response's ``Date`` header when it has
one, so a worker whose clock is off still waits the right amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from .base import Clock


def retry_after(
    headers: httpx.Headers,
    *,
    reset_header: str | None,
    reset_is_epoch: bool,
    clock: Clock,
) -> float | None:
    """Seconds to wait before retrying, or None when the response does not say."""
    now = server_now(headers, clock)
    seconds = _retry_after_header(headers.get("retry-after"), now)
    if seconds is None and reset_header:
        seconds = _reset_header(headers.get(reset_header), reset_is_epoch, now)
    return None if seconds is None else max(0.0, seconds)


def server_now(headers: httpx.Headers, clock: Clock) -> datetime:
    """The server's idea of now (its ``Date`` header), else our clock.

    ``Date`` holds whole seconds, cut down: a clock in step with the server's reads up to a
    second past it. Within that second our clock is the finer measure (else each wait for a
    window's reset would run up to a second long); beyond it the server's corrects ours."""
    ours = clock()
    parsed = _http_date(headers.get("date"))
    if parsed is None or timedelta(0) <= ours - parsed < timedelta(seconds=1):
        return ours
    return parsed


def _retry_after_header(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    when = _http_date(value)
    return None if when is None else (when - now).total_seconds()


def _reset_header(value: str | None, is_epoch: bool, now: datetime) -> float | None:
    if not value:
        return None
    try:
        if is_epoch:
            when = datetime.fromtimestamp(float(value), UTC)
        else:
            when = _aware(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError, OSError):
        return None
    return (when - now).total_seconds()


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _aware(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


def _aware(when: datetime) -> datetime:
    """Platforms are UTC unless they say otherwise; never return a naive datetime."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """What a response says about the limit it counted against: ``remaining`` of ``limit``
    calls are left until ``reset_in`` seconds from now (0 when it does not say when)."""

    limit: int
    remaining: int
    reset_in: float


# Mastodon and the IETF draft (``X-RateLimit-*``, ``RateLimit-*``: Bluesky), X's own spelling.
_WINDOW_HEADERS = (
    ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
    ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"),
    ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"),
)
_EPOCH_FROM = 1_000_000_000  # a reset above this is an epoch time, below it a delay


def announced_window(headers: httpx.Headers, clock: Clock) -> Window | None:
    """The rate-limit window a response announces, in whichever dialect it speaks.

    A reset is an ISO 8601 time (Mastodon), epoch seconds (Bluesky, X) or, in the IETF
    draft, seconds from now; absolute times are measured against our clock, not the
    response's ``Date``, whose one-second resolution would swallow a short window.
    """
    for limit_name, remaining_name, reset_name in _WINDOW_HEADERS:
        limit, remaining = _integer(headers.get(limit_name)), _integer(headers.get(remaining_name))
        if limit is None or remaining is None or limit <= 0:
            continue
        reset_in = _reset_in(headers.get(reset_name), clock)
        return Window(limit, max(0, min(remaining, limit)), reset_in)
    return None


def _integer(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value else None
    except ValueError:
        return None


def _reset_in(value: str | None, clock: Clock) -> float:
    if not value:
        return 0.0
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        seconds = _reset_header(value, False, clock())
        return max(0.0, seconds) if seconds is not None else 0.0
    if number >= _EPOCH_FROM:
        return max(0.0, number - clock().timestamp())
    return max(0.0, number)
