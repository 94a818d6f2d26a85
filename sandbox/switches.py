"""Switches for how closely the sandbox follows real Mastodon where Postgate's takedown depends
on it (``sandbox.behaviour`` holds those of publishing).

Each behaviour is a switch, realistic by default, so a test can cover both a server that
does what Mastodon does and one that does not (``GET``/``PUT /sandbox/realism``, or
``create_sandbox_app(realism=...)``):

- ``owner_sees_all``: the owner's token lists every visibility of its own statuses in
  ``GET /api/v1/accounts/:id/statuses`` (``app/models/account_statuses_filter.rb``: "author?
  → account.statuses.all"); off, it sees only public and unlisted ones, like an anonymous
  reader.
- ``edits``: ``PUT /api/v1/statuses/:id`` and ``GET .../history`` exist (Mastodon 3.5+);
  off, they answer 404 like an older server.
- ``deletion_limit``: ``throttle_api_delete`` in ``config/initializers/rack_attack.rb``, 30
  deletions per 30 minutes per account, apart from the general limit; ``None`` turns it off.
- ``revoke_requires_client``: Doorkeeper's ``POST /oauth/revoke`` only revokes a token of a
  confidential app when that app's ``client_id`` and ``client_secret`` come with it (403
  ``unauthorized_client`` otherwise, and the token keeps working); off, any request revokes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Flask, current_app

from sandbox.faults import RateLimit, parse_rate_limit

EXTENSION = "postgate_sandbox_realism"
DEFAULT_DELETION_LIMIT = RateLimit(30, 30 * 60)
SWITCHES = ("owner_sees_all", "edits", "revoke_requires_client")


@dataclass(frozen=True)
class Realism:
    """The switches; the defaults are what real Mastodon does."""

    owner_sees_all: bool = True
    edits: bool = True
    deletion_limit: RateLimit | None = DEFAULT_DELETION_LIMIT
    revoke_requires_client: bool = True

    def to_json(self) -> dict[str, Any]:
        """The shape ``GET /sandbox/realism`` answers and ``PUT`` accepts."""
        limit = str(self.deletion_limit) if self.deletion_limit else None
        return {**{name: getattr(self, name) for name in SWITCHES}, "deletion_limit": limit}


def updated_realism(current: Realism, changes: dict[str, Any]) -> Realism:
    """Apply a partial update from JSON; ValueError names the first bad key or value."""
    unknown = set(changes) - {*SWITCHES, "deletion_limit"}
    if unknown:
        raise ValueError(f"unknown realism setting: {sorted(unknown)[0]}")
    result = current
    for name in SWITCHES:
        if name in changes:
            if not isinstance(changes[name], bool):
                raise ValueError(f"{name} must be true or false")
            result = replace(result, **{name: changes[name]})
    if "deletion_limit" in changes:
        raw = changes["deletion_limit"]
        if raw is not None and not isinstance(raw, str):
            raise ValueError("deletion_limit must be a string N/SECONDS or null")
        result = replace(result, deletion_limit=parse_rate_limit(raw) if raw else None)
    return result


@dataclass
class RealismState:
    """The app's current switches, replaced whole under a lock (each request reads once)."""

    realism: Realism
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> Realism:
        with self._lock:
            return self.realism

    def set(self, realism: Realism) -> None:
        with self._lock:
            self.realism = realism


def install_realism(app: Flask, realism: Realism | None) -> RealismState:
    """Attach the switches to an app (before the behaviour modules read them)."""
    state = app.extensions[EXTENSION] = RealismState(realism or Realism())
    return state


def current_realism() -> Realism:
    """The switches of the app handling the current request."""
    state: RealismState = current_app.extensions[EXTENSION]
    return state.get()
