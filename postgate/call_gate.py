"""The freeze handshake: once a freeze has answered, no publish call on its accounts starts.

The store alone cannot promise it: a worker that looked at the freezes a millisecond before
the freeze committed still starts its call afterwards. So every request of a publish passes
a **gate** in Redis right before it is sent, and the freeze closes the gate once it has
committed; both are one Lua script each, so Redis orders them:

- the worker's :meth:`PublishGate.enter` finds no freeze flag for the account (nor a global
  one) and marks the post ``calling`` in one step, or finds a flag and sends nothing;
- the freeze's :func:`close_gate` raises the flag and reads every post marked, in one step.

A post marked before the flag went up has its call under way: the freeze waits (at most
``HANDSHAKE_SECONDS``, polling every few milliseconds) until each such request has been
answered, so the call has reached the platform before the freeze answers, and lists exactly
these posts as in flight. A worker that comes to the gate after the flag sends nothing; it
then finds the freeze in the store (it committed before the flag) and blocks the post. The
mark says ``called`` once the answer came, and goes when the worker has stored the outcome.

The flag lives ``FLAG_SECONDS``; by then any worker's look at the store sees the freeze, the
store staying the truth. Lifting a freeze lowers its flag (:func:`open_gate`). Crisis
statements, which may publish during a freeze, pass the gate but are marked all the same.
"""

from __future__ import annotations

import time
from contextlib import suppress

import httpx
from redis.exceptions import RedisError

from postgate.runtime import Runtime

FLAG_SECONDS = 600
HANDSHAKE_SECONDS = 0.5
POLL_SECONDS = 0.002
CALLING, CALLED = "calling", "called"

# KEYS: account flag, global flag, marks. ARGV: post id, "<account>:calling", crisis (1/0).
_ENTER = """
if ARGV[3] ~= '1' and (redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1)
then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
"""
# KEYS: marks, then the flags to raise. ARGV: their lifetime in ms. Returns the marks.
_CLOSE = """
for i = 2, #KEYS do redis.call('SET', KEYS[i], '1', 'PX', ARGV[1]) end
return redis.call('HGETALL', KEYS[1])
"""


def _flag(rt: Runtime, account_id: int | None) -> str:
    return rt.key("gate", "frozen", account_id if account_id is not None else "all")


def _marks(rt: Runtime) -> str:
    return rt.key("gate", "calls")


class PublishGate:
    """One publish's passage through the gate (see the module docstring)."""

    def __init__(self, rt: Runtime, post_id: int, account_id: int, *, crisis: bool) -> None:
        self._redis = rt.redis
        self._keys = (_flag(rt, account_id), _flag(rt, None), _marks(rt))
        self._post, self._account, self._crisis = str(post_id), account_id, crisis
        self.refused = False

    def enter(self) -> bool:
        """Right before a request: False (and nothing may be sent) once a freeze closed it."""
        mark = f"{self._account}:{CALLING}"
        try:
            passed = self._redis.eval(_ENTER, 3, *self._keys, self._post, mark, int(self._crisis))
        except RedisError:  # the gate cannot be checked: nothing is sent
            passed = 0
        self.refused = self.refused or not passed
        return bool(passed)

    def answered(self) -> None:
        """The request came back (or failed): it has reached the platform, or never will."""
        with suppress(RedisError):  # a freeze then waits its bound for this post, no more
            self._redis.hset(self._keys[2], self._post, f"{self._account}:{CALLED}")

    def leave(self) -> None:
        """The outcome is stored: the post is no longer in flight."""
        with suppress(RedisError):
            self._redis.hdel(self._keys[2], self._post)


class GateClosed(Exception):
    """A freeze closed the gate before this request: nothing was sent."""


class GatedTransport(httpx.BaseTransport):
    """Sends a request only through :meth:`PublishGate.enter`, and says when it came back."""

    def __init__(self, inner: httpx.BaseTransport, gate: PublishGate) -> None:
        self._inner, self._gate = inner, gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._gate.enter():
            raise GateClosed("a freeze closed the gate")
        try:
            return self._inner.handle_request(request)
        finally:
            self._gate.answered()

    def close(self) -> None:
        self._inner.close()


def close_gate(rt: Runtime, account_ids: list[int] | None) -> list[int]:
    """After a freeze of ``account_ids`` (all when None) committed: raise its flag, wait for
    the calls already through the gate to be answered, and return their posts."""
    flags = [_flag(rt, None)] if account_ids is None else [_flag(rt, a) for a in account_ids]
    raw = rt.redis.eval(_CLOSE, 1 + len(flags), _marks(rt), *flags, FLAG_SECONDS * 1000)
    marks = _pairs(raw)
    mine = {
        post: state
        for post, state in marks.items()
        if account_ids is None or int(state.split(":")[0]) in account_ids
    }
    _wait_answered(rt, list(mine))
    return sorted(int(post) for post in mine)


def _wait_answered(rt: Runtime, posts: list[str]) -> None:
    deadline = time.monotonic() + HANDSHAKE_SECONDS
    waiting = posts
    while waiting and time.monotonic() < deadline:
        states = rt.redis.hmget(_marks(rt), waiting)
        waiting = [post for post, state in zip(waiting, states, strict=True) if _calling(state)]
        if waiting:
            time.sleep(POLL_SECONDS)


def _calling(state: bytes | str | None) -> bool:
    text = state.decode() if isinstance(state, bytes) else state
    return bool(text and text.endswith(f":{CALLING}"))


def _pairs(raw: list[bytes | str]) -> dict[str, str]:
    texts = [item.decode() if isinstance(item, bytes) else item for item in raw]
    return dict(zip(texts[0::2], texts[1::2], strict=True))


def open_gate(rt: Runtime, account_id: int | None) -> None:
    """A freeze of this scope was lifted: lower its flag (the store says what is frozen)."""
    with suppress(RedisError):  # the flag expires anyway; workers read the store behind it
        rt.redis.delete(_flag(rt, account_id))
