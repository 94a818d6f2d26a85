"""Real worker processes checkpoint a growing audit chain, once per period across workers."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime

from postgate.audit_checkpoint import checkpoint_file, verify_trail
from tests.helpers import wait_until
from tests.postgate.test_audit import append
from tests.workers.conftest import WorkerPool


def test_two_workers_checkpoint_a_growing_chain_once_per_period(rt, env, redis, tmp_path):
    config = tmp_path / "postgate.toml"
    config.write_text(config.read_text() + '\n[audit]\ncheckpoint_seconds = 1\nsyslog = ""\n')
    pool = WorkerPool(env, redis, tmp_path)
    try:
        pool.start()
        pool.start()
        started = time.monotonic()
        while time.monotonic() - started < 6:
            append(rt, 1)
            time.sleep(0.1)
        path = checkpoint_file(rt.settings.checkpoints_path)
        wait_until(lambda: verify_trail(rt).checkpoint_seq == _head_seq(rt), 5, "a last checkpoint")
    finally:
        pool.stop_all()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    periodic = [line for line in lines if line["reason"] == "periodic"]
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(set(seqs))  # never the same head twice, never backwards
    times = [datetime.fromisoformat(line["at"]) for line in periodic]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # Two workers without the shared gate would write about twice a second.
    assert 4 <= len(periodic) <= 6 + 4, seqs
    # About once a period: the median gap, since one stall of a loaded machine is no failure.
    assert sorted(gaps)[len(gaps) // 2] < 3.0, gaps


def _head_seq(rt) -> int:
    from postgate.store.models import AuditHead

    with rt.store.session() as db:
        return db.get(AuditHead, 1).seq
