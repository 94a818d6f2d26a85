"""``[workers] class`` / ``POSTGATE_WORKER_CLASS``: how a worker runs its jobs (simple by
default, chosen by measurement: docs/publishing.md), and the simple worker's heartbeat while
a long job runs in the worker itself."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from rq import SimpleWorker, SpawnWorker, Worker

from postgate.errors import SettingsError
from postgate.settings import load_settings
from tests.helpers import wait_until
from workers.beating import WORKER_CLASSES, BeatingSimpleWorker


def test_the_default_runs_jobs_in_the_worker_and_each_choice_is_rq_s_own() -> None:
    assert load_settings(env={}).worker_class == "simple"
    assert issubclass(WORKER_CLASSES["simple"], SimpleWorker)
    assert issubclass(WORKER_CLASSES["fork"], Worker)
    assert not issubclass(WORKER_CLASSES["fork"], SpawnWorker)
    assert issubclass(WORKER_CLASSES["spawn"], SpawnWorker)
    assert load_settings(env={"POSTGATE_WORKER_CLASS": "fork"}).worker_class == "fork"


def test_an_unknown_worker_class_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="POSTGATE_WORKER_CLASS"):
        load_settings(env={"POSTGATE_WORKER_CLASS": "thread"})


def test_a_simple_worker_keeps_beating_while_a_job_runs_and_stops_after() -> None:
    beats: list[int] = []
    heartbeat = SimpleNamespace(
        rt=SimpleNamespace(settings=SimpleNamespace(heartbeat_seconds=0.01)),
        maybe_beat=lambda: beats.append(1),
    )
    worker = BeatingSimpleWorker.__new__(BeatingSimpleWorker)  # no Redis needed for this
    worker.postgate_heartbeat = heartbeat  # type: ignore[assignment]
    done = threading.Event()
    beater = threading.Thread(target=worker._beat_until, args=(done,))
    beater.start()
    wait_until(lambda: len(beats) >= 3, 10, "beats during the job")
    done.set()
    beater.join(timeout=5)
    assert not beater.is_alive()
    after = len(beats)
    done.wait(0.05)
    assert len(beats) == after
