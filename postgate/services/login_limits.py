"""Login limits that an outsider cannot turn against the people they target.

Counting every attempt per user name locks anyone out whom an outsider names, the security
lead in the middle of an incident included. So the limits are:

- per source address (``login_limit_per_address`` attempts in ``login_limit_window``): one
  address guessing many names;
- per user name *and* address (``login_limit_per_user`` attempts in the window): one address
  guessing one name; an attempt that logs in clears it;
- per user name across all addresses, a slowdown rather than a lock: once the name has had
  ``login_limit_per_user`` failures in the window, addresses it never logged in from get one
  try every ``login_slow_seconds`` between them, while an address the user logged in from
  (password and code) within ``login_known_days`` keeps its full allowance. A spread-out
  guesser gets a trickle; the user, from where they usually work, gets in at once.

Counters live in Redis (``INCR`` with an expiry), shared by every web process, and in the
store while Redis does not answer (:mod:`postgate.ratelimit`), so the security lead can still
sign in during a Redis outage; where the user logged in from is read from the store's
sessions. Every
refusal is audited (``access:rate-limited``, at most once a minute per subject).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from postgate import ratelimit
from postgate.errors import RateLimited
from postgate.runtime import Runtime
from postgate.services import refusals
from postgate.store.models import AuthToken, User
from postgate.store.types import utcnow


def is_known_source(rt: Runtime, username: str, source: str) -> bool:
    """Whether ``username`` logged in from ``source`` within ``login_known_days``."""
    if not source:
        return False
    since = utcnow() - timedelta(days=rt.settings.login_known_days)
    with rt.store.session() as db:
        found = db.scalar(
            select(AuthToken.id)
            .join(User, User.id == AuthToken.user_id)
            .where(
                User.username == username,
                AuthToken.kind == "session",
                AuthToken.source == source[:64],
                AuthToken.created_at >= since,
            )
            .limit(1)
        )
    return found is not None


def check(rt: Runtime, username: str, source: str) -> None:
    """Count this attempt; raise RateLimited (audited) past a limit."""
    settings = rt.settings
    window = settings.login_limit_window
    wait = ratelimit.hit(rt, f"login:addr:{source}", settings.login_limit_per_address, window)
    if wait:
        _audit(rt, "login-address", username, source, wait)
        raise RateLimited(
            "too many login attempts from this address; try again in {seconds} seconds",
            retry_after=wait,
            seconds=wait,
        )
    wait = ratelimit.hit(rt, _pair(username, source), settings.login_limit_per_user, window)
    if wait:
        _audit(rt, "login-user-address", username, source, wait)
        raise _user_limited(wait)
    if _failures(rt, username) < settings.login_limit_per_user:
        return
    if is_known_source(rt, username, source):
        return
    wait = _slow_lane(rt, username)
    if wait:
        _audit(rt, "login-user-slowed", username, source, wait)
        raise _user_limited(wait)


def failed(rt: Runtime, username: str) -> None:
    """Count a failed login of ``username`` (whatever part was wrong), from anywhere."""
    ratelimit.increment(rt, _failures_bucket(username), rt.settings.login_limit_window)


def succeeded(rt: Runtime, username: str, source: str) -> None:
    """A login from ``source`` went through: its own attempts start again from zero."""
    ratelimit.reset(rt, _pair(username, source))


def _pair(username: str, source: str) -> str:
    return f"login:pair:{username}:{source}"


def _failures_bucket(username: str) -> str:
    return f"login:fail:{username}"


def _failures(rt: Runtime, username: str) -> int:
    return ratelimit.count(rt, _failures_bucket(username))


def _slow_lane(rt: Runtime, username: str) -> int:
    """0 when this attempt may go (and the next must wait), else the seconds to wait."""
    seconds = rt.settings.login_slow_seconds
    taken, ttl = ratelimit.increment(rt, f"login:slow:{username}", seconds)
    if taken == 1:
        return 0
    return ttl if ttl > 0 else seconds


def _user_limited(wait: int) -> RateLimited:
    return RateLimited(
        "too many login attempts for this user; try again in {seconds} seconds",
        retry_after=wait,
        seconds=wait,
    )


def _audit(rt: Runtime, limit: str, username: str, source: str, wait: int) -> None:
    refusals.record_rate_limited(rt, limit=limit, actor=username, retry_after=wait, source=source)
