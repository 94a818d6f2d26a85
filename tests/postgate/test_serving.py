"""``postgate serve``: gunicorn with the configured processes, waitress on request, a taken
port refused in one line."""

from __future__ import annotations

import gc
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import ROOT, _free_port
from tests.helpers import run_postgate, start_postgate, stop_process_groups, wait_until
from tests.workers.conftest import descendants

pytestmark = pytest.mark.store_neutral


@contextmanager
def held_port() -> Iterator[int]:
    """A port that another program listens on (and never answers)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def healthz(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_runs_the_processes_the_settings_ask_for(rt, env, tmp_path):
    config = tmp_path / "web.toml"
    config.write_text(
        f'[rules]\nrules = "{ROOT / "config" / "rules.toml"}"\n[web]\nprocesses = 3\n'
    )
    port = _free_port()
    env = {**env, "POSTGATE_CONFIG": str(config)}
    web = start_postgate(["serve", "--port", str(port)], env, tmp_path / "web.log")
    try:
        wait_until(lambda: healthz(port), 60, "web")
        wait_until(lambda: len(descendants(web.pid)) == 3, 30, "three gunicorn workers")
        assert "gunicorn, 3 processes x 8 threads" in (tmp_path / "web.log").read_text()
        os.killpg(web.pid, signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    finally:
        stop_process_groups([web])


def test_serve_with_waitress_where_asked(rt, env, tmp_path):
    port = _free_port()
    web = start_postgate(
        ["serve", "--port", str(port), "--server", "waitress"], env, tmp_path / "web.log"
    )
    try:
        wait_until(lambda: healthz(port), 60, "web")
        assert descendants(web.pid) == []
    finally:
        stop_process_groups([web])


def test_serve_refuses_a_taken_port_in_one_line(rt, env):
    with held_port() as port:
        result = run_postgate(env, "serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"postgate: error: port {port} on 127.0.0.1 is taken, so the web app cannot listen "
        "there: stop what uses it or choose another port with --port"
    ]


def test_the_built_app_is_frozen_out_of_the_collector_before_gunicorn_forks(monkeypatch):
    """A full collection in a web process would otherwise walk every object of the app
    (about 150 ms paused, see docs/publishing.md); what the parent built is frozen first."""
    from postgate import serving

    seen: list[int] = []
    monkeypatch.setattr(
        serving, "_run_gunicorn", lambda app, config: seen.append(gc.get_freeze_count())
    )
    monkeypatch.setattr(serving, "release_connections", lambda: None)
    built = [object() for _ in range(1000)]  # what an app holds, made before serve()
    options = serving.ServeOptions("127.0.0.1", _free_port(), 2, 2, serving.Server.GUNICORN)
    before = gc.get_freeze_count()
    try:
        serving.serve(lambda environ, start: [b""], options)
        assert seen and seen[0] >= before + len(built)
    finally:
        gc.unfreeze()
