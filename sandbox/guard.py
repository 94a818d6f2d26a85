"""Fault injection and rate limiting around ``/api/v1/*`` and ``/oauth/*``.

Order per request: count it, apply the rate limit (per token account, else per
client address), maybe fail with 503, then the latency. Reads sleep before they
are handled; writes sleep after the handler committed, modelling a platform that
published but whose answer was lost to the client's timeout.
"""

from __future__ import annotations

import secrets
import time

from flask import Flask, Response, g, jsonify, request

from sandbox.api import identify
from sandbox.entities import iso_time
from sandbox.state import current_state

GUARDED = ("/api/v1/", "/api/v2/", "/oauth/")
READS = ("GET", "HEAD", "OPTIONS")
_random = secrets.SystemRandom()


def install_guard(app: Flask) -> None:
    """Register the hooks on an app."""
    app.before_request(before_request)
    app.after_request(after_request)


def _guarded() -> bool:
    return request.path.startswith(GUARDED)


def _refuse(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def before_request() -> Response | None:
    """Refuse (429/503) or delay a request before its view runs."""
    if not _guarded():
        return None
    state = current_state()
    faults = g.sandbox_faults = state.current_faults()
    state.stats.add("requests")
    if faults.rate_limit is not None:
        account = identify()
        key = f"account:{account.id}" if account else f"addr:{request.remote_addr}"
        decision = g.sandbox_rate = state.limiter.hit(key, faults.rate_limit)
        if not decision.allowed:
            response = _refuse(429, "Too many requests")
            response.headers["Retry-After"] = str(decision.retry_after(time.time()))
            return response
    if faults.error_rate and _random.random() < faults.error_rate:
        return _refuse(503, "Service unavailable")
    if request.method in READS:
        time.sleep(faults.latency_ms / 1000)
    return None


def after_request(response: Response) -> Response:
    """Add X-RateLimit-* headers, count refusals, delay writes after they committed."""
    if not _guarded():
        return response
    decision = g.get("sandbox_rate")
    if decision is not None:
        response.headers["X-RateLimit-Limit"] = str(decision.limit)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        response.headers["X-RateLimit-Reset"] = iso_time(int(decision.reset_at * 1000))
    stats = current_state().stats
    if response.status_code == 429:
        stats.add("rate_limited")
    elif response.status_code >= 500:
        stats.add("errors_5xx")
    faults = g.get("sandbox_faults")
    if faults is not None and request.method not in READS:
        time.sleep(faults.latency_ms / 1000)
        if request.method == "DELETE" and response.status_code == 200:
            time.sleep(faults.delete_hold_ms / 1000)  # carried out; the answer is late
    return response
