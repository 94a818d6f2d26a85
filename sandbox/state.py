"""The per-app sandbox state shared by the views and the fault hooks.

It hangs off ``app.extensions["postgate_sandbox"]`` rather than module globals, so
several sandbox apps (one per test) can live in one process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app, request

from sandbox.behaviour import Behaviour
from sandbox.faults import Faults, RateLimiter, Stats
from sandbox.store import SandboxStore

EXTENSION = "postgate_sandbox"


@dataclass
class SandboxState:
    """Store, mutable fault settings, rate-limit windows and counters of one app."""

    store: SandboxStore
    faults: Faults
    base_url: str | None = None
    behaviour: Behaviour = field(default_factory=Behaviour)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    stats: Stats = field(default_factory=Stats)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current_faults(self) -> Faults:
        """The fault settings now (each request takes one snapshot)."""
        with self._lock:
            return self.faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the settings; a changed rate limit starts fresh windows."""
        with self._lock:
            if faults.rate_limit != self.faults.rate_limit:
                self.limiter.reset()
            self.faults = faults

    def base(self) -> str:
        """Base URL for links in entities: configured, else the one the client used."""
        return self.base_url or request.host_url.rstrip("/")


def current_state() -> SandboxState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION]
