"""The deletion limit of one account, as a takedown sees it, for the estimate it shows.

Platforms limit deletions apart from other calls (Mastodon: 30 per 30 minutes per account,
``throttle_api_delete``; X: 50 per 15 minutes). A refused delete (429) says when the
current window ends (``X-RateLimit-Reset``, which the connector turns into ``retry_after``);
the deletions counted since the previous refusal say how many a window allowed, and two
successive window ends say how long a window lasts. Until the platform has shown both,
the documented quota from the platform registry stands in.

What is learnt is written to the account's ``takedown_accounts.deletion_pace`` when a new
window is seen, and the API's estimate (``deleted_by`` in a takedown's progress,
:mod:`postgate.services.takedown_view`) reads it. The pacing itself (waiting for the window)
is :class:`workers.pacing.Pacer`'s.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

NEW_WINDOW = 0.25  # seconds: window ends closer than this are the same window


class DeletionPace:
    """Counts an account's delete calls and the windows its refusals reveal (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since_refusal = 0  # delete calls since the last window ended
        self._per_window = 0
        self._window: float | None = None
        self._resets_at: datetime | None = None

    def deleted(self) -> None:
        """One delete call the platform accepted (or answered 404: it counted it too)."""
        with self._lock:
            self._since_refusal += 1

    def refused(self, retry_after: float, now: datetime | None = None) -> dict[str, Any] | None:
        """A delete refused until ``retry_after`` seconds from now; the state to store when
        this reveals a new window, else None."""
        resets_at = (now or datetime.now(UTC)) + timedelta(seconds=retry_after)
        with self._lock:
            known = self._resets_at
            if known is not None and abs((resets_at - known).total_seconds()) < NEW_WINDOW:
                return None  # another deleter heard about the same window
            if known is not None and resets_at > known:
                self._window = (resets_at - known).total_seconds()
            self._per_window = max(self._per_window, self._since_refusal)
            self._since_refusal = 0
            self._resets_at = resets_at
            return self.state()

    def state(self) -> dict[str, Any]:
        return {
            "resets_at": self._resets_at.isoformat() if self._resets_at else None,
            "per_window": self._per_window or None,
            "window_seconds": self._window,
        }
