"""What one process needs to do Postgate's work: settings, store, vault, audit key, Redis.

Everything is created lazily and per process, so importing this module has no side effect and
a forked RQ work horse builds its own connections. Code entered without a runtime in hand (an
RQ job) asks :func:`process_runtime` for this process's one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session

from postgate import audit, audit_checkpoint, audit_commit
from postgate.notifications import router
from postgate.settings import Settings, load_settings
from postgate.store.db import Store, call_after_commit, get_store
from postgate.vault import Vault, key_file, load_vault


class Runtime:
    """The per-process handle on Postgate's surroundings."""

    #: The wall clock TOTP codes are checked against (seconds since the epoch, RFC 6238's
    #: current time). Tests put one here that they move a step on, rather than wait 30 s.
    clock: Callable[[], float] = staticmethod(time.time)

    def __init__(self, settings: Settings):
        self.settings = settings
        self._pid = os.getpid()

    @classmethod
    def from_environment(cls, **overrides: Any) -> Runtime:
        return cls(load_settings(overrides=overrides))

    @property
    def store(self) -> Store:
        return get_store(self.settings.database_url)

    @property
    def vault(self) -> Vault:
        """The vault, reloaded when the key file changes so rotation needs no restart."""
        stamp = _mtime(key_file(self.settings))
        cached = self.__dict__.get("_vault")
        if cached is None or self.__dict__.get("_vault_stamp") != stamp:
            cached = self.__dict__["_vault"] = load_vault(self.settings)
            self.__dict__["_vault_stamp"] = stamp
        return cached

    @cached_property
    def audit_key(self) -> bytes:
        return audit.load_audit_key(self.settings)

    @property
    def redis(self) -> Redis:
        if self._pid != os.getpid() or "_redis" not in self.__dict__:
            self._pid = os.getpid()
            self.__dict__["_redis"] = Redis.from_url(
                self.settings.redis_url, socket_timeout=10, socket_connect_timeout=5
            )
        return self.__dict__["_redis"]

    def key(self, *parts: object) -> str:
        """A Redis key under this installation's prefix."""
        return self.settings.redis_prefix + ":".join(str(p) for p in parts)

    def audit(self, db: Session, action: audit.Event | str, **fields: Any) -> None:
        """Append an entry in ``db``'s transaction, linked into the chain as it commits
        (:mod:`postgate.audit_commit`), with the notifications it calls for
        (:mod:`postgate.notifications.router`); a freeze or takedown is checkpointed outside
        the store as soon as it commits."""
        entry = audit.new_entry(action, **fields)
        audit_commit.stage(db, self.audit_key, entry)
        router.route(self, db, entry)
        if action in audit.CHECKPOINT_EVENTS:
            call_after_commit(
                db,
                "audit-checkpoint",
                lambda: audit_checkpoint.checkpoint_quietly(self, str(action), background=True),
            )


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


_shared: Runtime | None = None
_built: tuple[int, Runtime] | None = None


def share_runtime(rt: Runtime | None) -> None:
    """Make ``rt`` the runtime every job of this process uses (None: forget it).

    The worker shares the runtime it warmed before forking work horses; a horse inherits it,
    and its Redis client and database engine are rebuilt for the horse's process id.
    """
    global _shared
    _shared = rt


def process_runtime() -> Runtime:
    """This process's runtime: the shared one, else one built from the environment, once
    per process id (so a fork never reuses its parent's)."""
    global _built
    if _shared is not None:
        return _shared
    if _built is None or _built[0] != os.getpid():
        _built = (os.getpid(), Runtime.from_environment())
    return _built[1]
