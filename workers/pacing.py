"""Pacing platform calls: a rate-limit answer on one call pauses every call to that account."""

from __future__ import annotations

import threading
import time


class Pacer:
    """Shared by an account's deleters: a 429 on one pauses them all until the window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0

    def wait(self) -> None:
        while True:
            with self._lock:
                delay = self._not_before - time.monotonic()
            if delay <= 0:
                return
            time.sleep(min(delay, 1.0))

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
