"""``postgate up``: everything for local use in one command."""

import os
import signal
import subprocess
import sys
import time

import httpx

from postgate.local import redis_answers, start_private_redis
from tests.conftest import _free_port


def wait_for(url: str, timeout: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=1)
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def test_up_starts_web_worker_and_sandbox_and_stops_them(env, tmp_path):
    web, sandbox = _free_port(), _free_port()
    run_env = {
        **env,
        "POSTGATE_SANDBOX_URL": f"http://127.0.0.1:{sandbox}",
        "PATH": os.environ["PATH"],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "postgate", "up", "--port", str(web)],
        env=run_env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = wait_for(f"http://127.0.0.1:{web}/healthz")
        assert health.status_code == 200 and health.json()["checks"]["redis"] == "ok"
        assert wait_for(f"http://127.0.0.1:{sandbox}/healthz").status_code == 200
        assert wait_for(f"http://127.0.0.1:{web}/login").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "started the sandbox platform" in output
    time.sleep(0.5)
    for port in (web, sandbox):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            raise AssertionError(f"something still answers on {port} after up stopped")
        except httpx.HTTPError:
            pass


def test_private_redis_is_started_when_none_answers(tmp_path, monkeypatch):
    import postgate.local as local

    monkeypatch.setattr(local, "PRIVATE_REDIS_PORT", _free_port())
    proc, url = start_private_redis(tmp_path)
    try:
        assert proc is not None and redis_answers(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not redis_answers(url)
