"""A stop request that lands while the worker writes its heartbeat still stops it.

The heartbeat's store write may wait (a slow or busy database). RQ's stop arrives as an
exception raised by its signal handler wherever the worker happens to be; raised inside the
heartbeat's write, it was caught there as a failed write and the worker went back to waiting
for jobs: ``docker stop`` then waited for its SIGKILL. The CI saw it once on PostgreSQL; here
the write is held deliberately by a lock on the heartbeat table."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.helpers import wait_until


def _hold_heartbeats(rt) -> tuple[Callable[[], bool], Callable[[], None]]:
    """Lock the heartbeat table from a connection of the test's own: (is the worker waiting
    on it?, release)."""
    connection = rt.store.engine.connect()
    if rt.store.dialect == "postgresql":
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql("LOCK TABLE worker_heartbeats IN ACCESS EXCLUSIVE MODE")
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()

        def waiting() -> bool:
            with rt.store.engine.connect() as look:
                return bool(
                    look.execute(
                        text(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> :pid"
                            " AND relation = to_regclass('worker_heartbeats')"
                        ),
                        {"pid": pid},
                    ).scalar()
                )
    else:
        raw = connection.connection.driver_connection
        raw.isolation_level = None
        raw.execute("BEGIN IMMEDIATE")  # the write lock: the beat's write waits for it
        began = time.monotonic()

        def waiting() -> bool:  # SQLite shows no waiters: two beat periods are enough
            return time.monotonic() - began > 5

    def release() -> None:
        if rt.store.dialect == "postgresql":
            connection.exec_driver_sql("COMMIT")
        else:
            connection.connection.driver_connection.execute("COMMIT")
        connection.close()

    return waiting, release


def test_sigterm_during_a_held_heartbeat_write_still_ends_the_worker(rt, env, workers):
    with Path(env["POSTGATE_CONFIG"]).open("a") as config:
        config.write("\n[workers]\nheartbeat_seconds = 2\n")
    proc = workers.start()
    wait_until(lambda: "cleaning registries" in workers.log_text(), 15, "the worker's loop")
    waiting, release = _hold_heartbeats(rt)
    try:
        wait_until(waiting, 20, "the worker's heartbeat write to wait on the lock")
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(0.5)  # the signal lands while the write waits
    finally:
        release()
    try:
        assert proc.wait(timeout=8) == 0, workers.log_text()
    except subprocess.TimeoutExpired:
        pytest.fail("the worker did not stop:\n" + workers.log_text()[-3000:])
    assert "resuming work" not in workers.log_text()
