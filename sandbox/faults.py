"""Fault injection (latency, random 5xx, rate limits) and request counters.

Tests and benchmarks change these at run time through ``PUT /sandbox/faults``, so the
settings live in one lock-guarded object that each request snapshots when it starts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class RateLimit:
    """``limit`` requests per ``period`` seconds, per account."""

    limit: int
    period: float

    def __str__(self) -> str:
        return f"{self.limit}/{self.period:g}"


def parse_rate_limit(text: str) -> RateLimit:
    """Parse ``N/SECONDS`` (e.g. ``300/300`` or ``5/0.5``); raise ValueError with a reason."""
    count, sep, seconds = text.strip().partition("/")
    try:
        limit, period = int(count), float(seconds)
    except ValueError:
        limit, period = 0, 0.0
    if not sep or limit < 1 or not math.isfinite(period) or period <= 0:
        raise ValueError(f"rate limit must look like N/SECONDS with N >= 1, got {text!r}")
    return RateLimit(limit, period)


@dataclass(frozen=True)
class Faults:
    """The faults applied to ``/api/v1/*`` and ``/oauth/*`` requests.

    ``delete_hold_ms``: a ``DELETE`` is carried out, then its answer held that long (a
    worker killed while it waits never learns the outcome). ``unlisted_ids``: statuses the
    account listing leaves out while they stay live (``GET /api/v1/statuses/:id`` still
    shows them), as a server whose listing cannot be trusted would.
    """

    latency_ms: int = 0
    rate_limit: RateLimit | None = None
    error_rate: float = 0.0
    delete_hold_ms: int = 0
    unlisted_ids: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """The shape ``GET /sandbox/faults`` answers and ``PUT`` accepts."""
        limit = str(self.rate_limit) if self.rate_limit else None
        return {
            "latency_ms": self.latency_ms,
            "rate_limit": limit,
            "error_rate": self.error_rate,
            "delete_hold_ms": self.delete_hold_ms,
            "unlisted_ids": sorted(self.unlisted_ids),
        }


def check_latency(value: Any, name: str = "latency_ms") -> int:
    """Validate a latency in milliseconds (a non-negative integer)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value


def check_ids(value: Any) -> frozenset[str]:
    """Validate a list of status ids (strings of digits)."""
    if not isinstance(value, list) or not all(
        isinstance(i, str) and i.isascii() and i.isdigit() for i in value
    ):
        raise ValueError("unlisted_ids must be a list of status ids")
    return frozenset(value)


def check_error_rate(value: Any) -> float:
    """Validate a probability between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("error_rate must be a number between 0 and 1")
    return float(value)


def updated_faults(current: Faults, changes: dict[str, Any]) -> Faults:
    """Apply a partial update from JSON; keys left out keep their value."""
    unknown = set(changes) - {*Faults().to_json()}
    if unknown:
        raise ValueError(f"unknown fault setting: {sorted(unknown)[0]}")
    result = current
    if "latency_ms" in changes:
        result = replace(result, latency_ms=check_latency(changes["latency_ms"]))
    if "error_rate" in changes:
        result = replace(result, error_rate=check_error_rate(changes["error_rate"]))
    if "delete_hold_ms" in changes:
        hold = check_latency(changes["delete_hold_ms"], "delete_hold_ms")
        result = replace(result, delete_hold_ms=hold)
    if "unlisted_ids" in changes:
        result = replace(result, unlisted_ids=check_ids(changes["unlisted_ids"]))
    if "rate_limit" in changes:
        raw = changes["rate_limit"]
        if raw is not None and not isinstance(raw, str):
            raise ValueError("rate_limit must be a string N/SECONDS or null")
        result = replace(result, rate_limit=parse_rate_limit(raw) if raw else None)
    return result


@dataclass(frozen=True)
class RateDecision:
    """Outcome of counting one request: what the X-RateLimit-* headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window resets, at least 1 (Retry-After is integral)."""
        return max(1, math.ceil(self.reset_at - now))


class RateLimiter:
    """Fixed windows per key, each starting at the key's first request in it.

    Mastodon (rack-attack) aligns windows to the clock; anchoring them at the first
    request instead keeps tests deterministic while producing the same headers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, rule: RateLimit, now: float | None = None) -> RateDecision:
        """Count a request for ``key``; refused requests do not use up the window."""
        now = time.time() if now is None else now
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now >= start + rule.period:
                start, used = now, 0
            allowed = used < rule.limit
            used += int(allowed)
            self._windows[key] = (start, used)
        return RateDecision(allowed, rule.limit, rule.limit - used, start + rule.period)

    def reset(self) -> None:
        """Forget all windows, e.g. after the limit itself changed."""
        with self._lock:
            self._windows.clear()


class Stats:
    """Thread-safe counters for tests and benchmarks (``GET /sandbox/stats``)."""

    NAMES = (
        "requests",
        "creates",
        "deletes",
        "direct_posts",
        "rate_limited",
        "errors_5xx",
        "media_uploads",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        """Increase one counter."""
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        """All counters, zeros included, so clients can rely on every key."""
        with self._lock:
            return {name: self._counts[name] for name in self.NAMES}

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counts.clear()
