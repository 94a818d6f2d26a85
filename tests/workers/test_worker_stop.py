"""A stop request ends the worker: ``docker stop`` and ``postgate up`` send SIGTERM and give a
process about ten seconds before they SIGKILL it, so an idle worker must be gone well within
that, not mistake its own stop for a Redis problem and start again."""

from __future__ import annotations

import os
import signal
import time

from rq import Worker

from tests.helpers import wait_until


def test_sigterm_ends_an_idle_worker_at_once_with_exit_0(rt, workers, redis):
    proc = workers.start()
    wait_until(lambda: "cleaning registries" in workers.log_text(), 15, "the worker's loop")
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=8) == 0, workers.log_text()
    assert time.monotonic() - started < 5
    assert "resuming work" not in workers.log_text()
    assert Worker.all(connection=redis) == []
