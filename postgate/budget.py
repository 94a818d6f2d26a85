"""One request budget per account, shared by every process: pace, don't collide.

Publishing, read-backs, listings, edits and deletes of one account all spend from the same
budget, kept in Redis so that every worker process and web process sees it. It starts from
the limits the platform documents (its spec's ``call_quota`` for every call,
``delete_quota`` for deletions) and, once the platform's answers announce their own window
(``X-RateLimit-Limit/Remaining/Reset`` and their dialects, :func:`~postgate.platforms.
ratelimit.announced_window`), follows that window alone: a server may be configured
otherwise than documented (a takedown once waited 520 s for a documented 30-minute window
against a server allowing 3 deletions a second). A call goes only while the window has
something left, so Postgate slows itself down before the platform has to say 429. A
``Retry-After`` (or a 429) pauses the calls it speaks of until then: every call of the
account, or only its deletions when a deletion was refused (Mastodon's deletion limit is
apart from the rest).

Publishes leave a reserve (a fifth of the window, at least one call, unless the window holds
only one) to the calls that settle things: read-backs of an unknown outcome and takedowns
may spend the window to the last call, so they go before new publishes when it is tight.

A bucket is a Redis hash (``limit``, ``remaining``, ``reset``, ``period`` and ``pause`` in
milliseconds of Redis's clock; ``seen`` once the platform has announced a window) with a
sorted set of the calls in flight (scored by the microsecond each was counted, each later
than the one before); both are changed only by the Lua scripts below, so concurrent
processes never spend one call twice. A call whose answer never comes back (its
process died) stops counting as in flight after a minute. The platform's clock, as its
``Date`` header shows it, is noted too: a read-back looks back before its claim by as much
as that clock may be behind (:mod:`workers.claims`).
"""

from __future__ import annotations

import enum
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from redis.exceptions import RedisError

from postgate.platforms.base import RetryableError, utc_now
from postgate.platforms.ratelimit import Window, announced_window, retry_after, server_now
from postgate.platforms.registry import platform_spec
from postgate.platforms.spec import Quota
from postgate.runtime import Runtime

log = logging.getLogger("postgate.budget")

IN_FLIGHT_MS = 60_000  # a call unanswered for this long no longer counts (its process died)
KEEP_MS = 3_600_000  # an idle account's buckets are forgotten after an hour
DEFAULT_PERIOD_MS = 1_000  # a window of unknown length is assumed to last this long


def _lua(script: str) -> str:
    """The script with this module's constants written in."""
    for name in ("IN_FLIGHT_MS", "DEFAULT_PERIOD_MS", "KEEP_MS"):
        script = script.replace(name, str(globals()[name]))
    return script


# KEYS: per bucket its hash and its in-flight set.
# ARGV: token, publish (1 keeps the reserve), then per bucket: seed limit, seed period (ms).
# Returns 0 when the call may go (it is counted), else the milliseconds to wait.
_ACQUIRE = _lua("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local state = {}
for i = 0, #KEYS / 2 - 1 do
  local bucket, flight = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
  redis.call('ZREMRANGEBYSCORE', flight, '-inf',
             string.format('%.0f', now_us - IN_FLIGHT_MS * 1000))
  local h = redis.call('HMGET', bucket, 'limit', 'remaining', 'reset', 'period', 'pause')
  local pause = tonumber(h[5]) or 0
  if pause > now then wait = math.max(wait, pause - now) end
  local limit = tonumber(h[1]) or tonumber(ARGV[3 + 2 * i])
  if limit and limit > 0 then
    local period = tonumber(h[4]) or tonumber(ARGV[4 + 2 * i])
    if not period or period <= 0 then period = DEFAULT_PERIOD_MS end
    local remaining = tonumber(h[2]) or limit
    local reset = tonumber(h[3]) or 0
    if reset <= now then remaining, reset = limit, now + period end
    local reserve = 0
    if ARGV[2] == '1' then reserve = math.min(limit - 1, math.max(1, math.floor(limit / 5))) end
    if remaining <= reserve then wait = math.max(wait, reset - now, 1) end
    state[#state + 1] = {bucket, flight, limit, remaining, reset, period}
  end
end
if wait > 0 then return wait end
for _, s in ipairs(state) do
  redis.call('HSET', s[1], 'limit', s[3], 'remaining', s[4] - 1, 'reset', s[5], 'period', s[6])
  redis.call('PEXPIRE', s[1], KEEP_MS)
  local last = redis.call('ZRANGE', s[2], -1, -1, 'WITHSCORES')
  local sent = now_us
  if last[2] and tonumber(last[2]) >= sent then sent = tonumber(last[2]) + 1 end
  redis.call('ZADD', s[2], string.format('%.0f', sent), ARGV[1])
  redis.call('PEXPIRE', s[2], KEEP_MS)
end
return 0
""")

# KEYS: the bucket the answer speaks of, its in-flight set. ARGV: token, limit, remaining,
# reset_in_ms (-1: the answer announced no window), pause_ms (0: none).
# The platform's ``remaining`` already counts the calls that reached it before this one:
# only the calls still unanswered that may have reached it after this one are taken off it.
# Those are the calls counted after this one, and those counted before it by less than its
# round trip (sent at about the same time by another process, they may arrive later: not
# taking them off let the next call through to a 429). A call counted earlier than that has
# reached the platform: a dead process's call, carried out, is not taken off a second time
# (a resumed takedown lost its window's last deletions that way). Scores are microseconds,
# each call later than the one before.
_OBSERVE = _lua("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local sent = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]))
local since = now_us  -- a call no longer in flight: only calls counted from now
if sent then since = 2 * sent - now_us end  -- one round trip before this call was counted
redis.call('ZREM', KEYS[2], ARGV[1])
local pause_ms = tonumber(ARGV[5])
if pause_ms > 0 then
  local until_ms = now + pause_ms
  if until_ms > (tonumber(redis.call('HGET', KEYS[1], 'pause')) or 0) then
    redis.call('HSET', KEYS[1], 'pause', until_ms)
    redis.call('PEXPIRE', KEYS[1], math.max(KEEP_MS, pause_ms))
  end
end
local reset_in = tonumber(ARGV[4])
if reset_in < 0 then return 0 end
local h = redis.call('HMGET', KEYS[1], 'remaining', 'reset', 'period', 'seen')
local seen = h[4] == '1'
local limit = tonumber(ARGV[2])
local period = reset_in
if seen then period = math.max(tonumber(h[3]) or 0, reset_in) end
if period <= 0 then period = DEFAULT_PERIOD_MS end
if reset_in == 0 then reset_in = period end
local reset = now + reset_in
local later = redis.call('ZCOUNT', KEYS[2], string.format('%.0f', since), '+inf')
local remaining = tonumber(ARGV[3]) - later
local known_reset = tonumber(h[2]) or 0
local known = tonumber(h[1])
if seen and known and reset < known_reset + period / 2 and known < remaining then
  remaining, reset = known, math.max(known_reset, now)
end
redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining, 'reset', reset,
           'period', period, 'seen', 1)
redis.call('PEXPIRE', KEYS[1], math.max(KEEP_MS, redis.call('PTTL', KEYS[1])))
return 0
""")


class Priority(enum.IntEnum):
    """Who spends: publishes keep a reserve for the calls that settle things."""

    PUBLISH = 0
    SETTLE = 1  # read-backs of an unknown outcome, takedowns, a person waiting


@dataclass(frozen=True)
class Quotas:
    """The documented limits a budget starts from (the platform's spec)."""

    calls: Quota | None = None
    deletes: Quota | None = None


class Budget:
    """The request budget of one account (see the module docstring)."""

    def __init__(
        self, rt: Runtime, account_id: int, quotas: Quotas, priority: Priority = Priority.SETTLE
    ) -> None:
        self._redis = rt.redis
        self._calls = (rt.key("budget", account_id, "calls"), quotas.calls)
        self._deletes = (rt.key("budget", account_id, "deletes"), quotas.deletes)
        self._clock = clock_key(rt, account_id)
        self.priority = priority

    def try_acquire(self, method: str) -> tuple[str, float]:
        """Count one call of ``method`` if the budget allows it now: ``(token, 0)``; else
        ``("", seconds to wait)`` and nothing counted."""
        token = secrets.token_hex(8)
        keys: list[str] = []
        args: list[str | int] = [token, int(self.priority == Priority.PUBLISH)]
        for key, quota in self._buckets(method):
            keys += [key, f"{key}:flight"]
            args += [quota.calls if quota else 0, quota.seconds * 1000 if quota else 0]
        wait_ms = int(self._redis.eval(_ACQUIRE, len(keys), *keys, *args))
        return (token, 0.0) if wait_ms <= 0 else ("", wait_ms / 1000)

    def observe(
        self, token: str, method: str, window: Window | None, pause: float | None = None
    ) -> None:
        """What the answer to a counted call said: its window, and how long to pause."""
        key = self._buckets(method)[-1][0]  # a deletion's answer speaks of the deletion limit
        limit, remaining, reset_in = (
            (window.limit, window.remaining, int(window.reset_in * 1000)) if window else (0, 0, -1)
        )
        pause_ms = int(max(0.0, pause or 0.0) * 1000)
        args: list[str | int] = [token, limit, remaining, reset_in, pause_ms]
        self._redis.eval(_OBSERVE, 2, key, f"{key}:flight", *args)
        for other, _ in self._buckets(method)[:-1]:
            self._redis.zrem(f"{other}:flight", token)

    def note_clock(self, skew: float) -> None:
        """How far the platform's clock (its ``Date`` header) is ahead of ours, in seconds."""
        self._redis.set(self._clock, f"{skew:.3f}", ex=KEEP_MS // 1000)

    def _buckets(self, method: str) -> list[tuple[str, Quota | None]]:
        return [self._calls, self._deletes] if method.upper() == "DELETE" else [self._calls]


def clock_key(rt: Runtime, account_id: int) -> str:
    return rt.key("budget", account_id, "clock")


def platform_clock_skew(rt: Runtime, account_id: int) -> float | None:
    """How far the account's platform clock was ahead of ours at its last answer (negative:
    behind), to the second its ``Date`` header gives; None when no answer said."""
    raw = rt.redis.get(clock_key(rt, account_id))
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def quotas_for(platform: str) -> Quotas:
    """The documented limits of ``platform``'s spec (none for an unknown one)."""
    try:
        spec = platform_spec(platform)
    except ValueError:
        return Quotas()
    return Quotas(calls=spec.call_quota, deletes=spec.delete_quota)


RETRY_READS = 5  # a read refused with 429/502/503/504 is sent again this many times at most
REFUSED = (429, 502, 503, 504)


class PacedTransport(httpx.BaseTransport):
    """Every request of a connector spends from its account's :class:`Budget`.

    A request waits (sleeping in short steps, since other processes free calls) while the
    budget is spent; when the wait would exceed ``max_wait`` it is not sent at all and a
    :class:`RetryableError` with ``retry_after`` says when to come back (nothing reached the
    platform, so the outcome is known). Reads refused for a passing reason (429 and the
    gateway errors) are sent again here, paced the same way: a read changes nothing, so
    a listing that settles stuck posts is not lost to one refused page.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        budget: Budget,
        *,
        platform: str,
        max_wait: float,
        sleep: Callable[[float], None] = time.sleep,
        required: bool = True,
    ) -> None:
        """``required=False``: when Redis does not answer, send unpaced rather than not at
        all (a takedown: the platform's own limits still stop it, through its 429s)."""
        self._inner, self._budget, self._platform = inner, budget, platform
        self._max_wait, self._sleep, self._required = max_wait, sleep, required

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        tries = RETRY_READS + 1 if request.method in ("GET", "HEAD") else 1
        for attempt in range(tries):
            token = self._acquire(request.method)
            response: httpx.Response | None = None
            try:
                response = self._inner.handle_request(request)
            finally:
                self._observe(token, request.method, response)
            if response.status_code not in REFUSED or attempt == tries - 1:
                return response
            response.close()
            if response.status_code != 429:  # a 429 paused the budget already
                self._sleep(min(2.0, 0.2 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _acquire(self, method: str) -> str:
        waited = 0.0
        while True:
            try:
                token, wait = self._budget.try_acquire(method)
            except RedisError:  # nothing is sent without the budget; nothing was sent
                if not self._required:
                    return ""  # unpaced: the answer is not noted either
                message = f"{self._platform}: the request budget cannot be read (Redis)"
                raise RetryableError(message, retry_after=1.0) from None
            if token:
                return token
            if waited + wait > self._max_wait:
                message = f"{self._platform}: paced: the account's request budget is spent"
                raise RetryableError(message, status=429, retry_after=wait)  # as if refused
            step = min(wait, 0.05)
            self._sleep(step)
            waited += step

    def _observe(self, token: str, method: str, response: httpx.Response | None) -> None:
        if not token:
            return  # sent unpaced while Redis did not answer
        try:
            self._note(token, method, response)
        except RedisError:  # the answer stands; the budget learns from the next one
            log.warning("%s: the request budget missed an answer (Redis)", self._platform)

    def _note(self, token: str, method: str, response: httpx.Response | None) -> None:
        if response is None:
            self._budget.observe(token, method, None)
            return
        headers = response.headers
        pause = None
        if response.status_code in (429, 503) or "retry-after" in headers:
            pause = retry_after(headers, reset_header=None, reset_is_epoch=False, clock=utc_now)
        if "date" in headers:
            self._budget.note_clock((server_now(headers, utc_now) - utc_now()).total_seconds())
        window = announced_window(headers, utc_now)
        if response.status_code == 429 and pause is None:
            pause = window.reset_in if window and window.reset_in else 1.0
        self._budget.observe(token, method, window, pause)

    def close(self) -> None:
        self._inner.close()
