"""Mastodon's deletion limit: 30 deletions per 30 minutes per account, apart from the rest.

``config/initializers/rack_attack.rb`` throttles ``DELETE /api/v1/statuses/:id`` and
``POST /api/v1/statuses/:id/unreblog`` per authenticated user (``throttle_api_delete``) on
top of the general API limit. A refused call is a 429 whose ``X-RateLimit-Limit``,
``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset`` (ISO 8601) describe the deletion
limit, without ``Retry-After`` (Mastodon's ``throttled_responder`` sends none); an allowed
one reports whichever limit has less left (``app/controllers/concerns/api/rate_limit_headers.rb``
takes the "most limited" throttle), so a client can pace itself from the headers.

The hook runs after the general guard (``sandbox.guard``) and hands it the decision to
write as headers, so the two never disagree. Windows start at an account's first deletion,
like the general limiter's, which keeps tests deterministic.
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, g, jsonify, request

from sandbox.api import identify
from sandbox.faults import RateLimiter
from sandbox.switches import current_realism

DELETION = re.compile(r"/api/v1/statuses/\d+(/unreblog)?")
LIMITER = "postgate_sandbox_deletion_limiter"


def install_deletion_limit(app: Flask) -> None:
    """Register the hook; call after ``install_guard`` so it runs after the general limit."""
    app.extensions[LIMITER] = RateLimiter()
    app.before_request(_before_request)


def _is_deletion() -> bool:
    match = DELETION.fullmatch(request.path)
    if match is None:
        return False
    return request.method == ("POST" if match.group(1) else "DELETE")


def _before_request() -> Response | None:
    rule = current_realism().deletion_limit
    if rule is None or not _is_deletion():
        return None
    account = identify()
    if account is None:
        return None  # the view answers 401
    limiter: RateLimiter = current_app.extensions[LIMITER]
    decision = limiter.hit(f"account:{account.id}", rule)
    general = g.get("sandbox_rate")
    if general is None or decision.remaining <= general.remaining or not decision.allowed:
        g.sandbox_rate = decision  # the guard writes the most limited one as headers
    if decision.allowed:
        return None
    response = jsonify({"error": "Too many requests"})
    response.status_code = 429
    return response
