"""A lease in Redis: one holder at a time, renewed by a heartbeat, expiring if it dies.

Used where exactly one process may work on something (a takedown) and a crashed holder must
not block the next one for longer than the lease.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

from redis import Redis

log = logging.getLogger("postgate.lease")
LEASE_SECONDS = 10
HEARTBEAT_SECONDS = 2


class Lease:
    """A Redis key only its holder renews or deletes (compare-and-set in Lua)."""

    _RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"  # noqa: E501
    _RENEW_OR_CREATE = (
        "local v = redis.call('get', KEYS[1]) "
        "if v == false or v == ARGV[1] then "
        "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0"
    )
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"  # noqa: E501

    def __init__(
        self,
        redis: Redis,
        key: str,
        *,
        seconds: float = LEASE_SECONDS,
        heartbeat: float = HEARTBEAT_SECONDS,
        survive_flush: bool = False,
        token: str | None = None,
    ):
        """``survive_flush``: the heartbeat re-creates a key that vanished (a Redis flush)
        instead of declaring the lease lost; for leases whose loss is checked elsewhere."""
        self.redis, self.key = redis, key
        self.seconds, self.heartbeat = seconds, heartbeat
        self.token = token or secrets.token_hex(16)
        self._renew = self._RENEW_OR_CREATE if survive_flush else self._RENEW
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, *, wait: float = 0.0) -> bool:
        """Take the lease, waiting up to ``wait`` seconds; a released lease may be retaken."""
        deadline = time.monotonic() + wait
        while not self.redis.set(self.key, self.token, nx=True, px=int(self.seconds * 1000)):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
        self._stop = threading.Event()
        self.lost.clear()
        self._thread = threading.Thread(target=self._beat, name="postgate-lease", daemon=True)
        self._thread.start()
        return True

    def hold_from_now(self) -> None:
        """Start renewing without taking the key first, for a holder that another lease
        already made the only one (the store's) while Redis does not answer: with
        ``survive_flush`` the heartbeat writes the key once Redis is back."""
        self._stop = threading.Event()
        self.lost.clear()
        self._thread = threading.Thread(target=self._beat, name="postgate-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                ttl = int(self.seconds * 1000)
                if not self.redis.eval(self._renew, 1, self.key, self.token, ttl):
                    self.lost.set()
                    return
            except Exception:
                log.warning("could not renew the lease; retrying")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.redis.eval(self._RELEASE, 1, self.key, self.token)
        except Exception:
            log.warning("could not release the lease; it expires by itself")


class LeaseLost(Exception):
    """Another run took over (this one stalled past the lease); stop without writing more."""
