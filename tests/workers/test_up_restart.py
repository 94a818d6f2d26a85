"""``postgate up`` starts a worker that died again, and publishing goes on."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT, _free_port
from tests.helpers import stop_process_groups, wait_until

from .conftest import descendants, wait_gone

WORKER_STARTED = re.compile(r"started worker 1 \(pid (\d+)\)")

# Its subject is the supervision of processes; ``postgate up`` runs on SQLite (the embedded
# default), which the SQLite pass holds.
pytestmark = pytest.mark.store_neutral


def test_up_starts_a_killed_worker_again_and_publishing_goes_on(env, poster, tmp_path):
    log = tmp_path / "up.log"
    with open(log, "wb") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "postgate", "up", "--port", str(_free_port())],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pids: list[str] = []
    try:
        wait_until(lambda: "Postgate is up" in log.read_text(), 90, "up", step=0.2)
        (first,) = WORKER_STARTED.findall(log.read_text())
        left_behind = wait_until(lambda: descendants(int(first)), 15, "RQ's scheduler process")
        os.kill(int(first), signal.SIGKILL)  # the worker alone, as the OOM killer would
        pids = wait_until(
            lambda: (found := WORKER_STARTED.findall(log.read_text()))[1:] and found, 30, "restart"
        )
        assert pids[1] != first
        assert "worker 1 stopped (killed by SIGKILL); starting it again in 1 s" in log.read_text()
        for pid in left_behind:  # its scheduler would hold the dead worker's BLPOP open
            wait_gone(pid, timeout=5)

        post_id = poster.schedule("Les portes ouvrent à 9 h.", seconds=None)
        post = poster.wait_status(post_id, "published", timeout=30)
        assert [p["id"] for p in poster.live("Les portes ouvrent à 9 h.")] == [post.remote_id]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        finally:
            stop_process_groups([proc])
    wait_gone(int(pids[1]), timeout=15)  # up stopped the worker it had started again
