"""Fixtures: an in-process app with a test client, and real servers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox import client as sandbox_client
from sandbox.server import create_sandbox_app, running_sandbox

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_sandbox_app(tmp_path / "sandbox.db", base_url="http://sandbox.test")
    yield app
    app.extensions["postgate_sandbox"].store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(client: FlaskClient) -> Callable[..., dict[str, str]]:
    """``auth("name")`` issues a token for the account and returns the header;
    ``auth("name", "read write:media")`` one whose app has those scopes."""

    def issue(name: str, scopes: str | None = None) -> dict[str, str]:
        body = {"scopes": scopes} if scopes is not None else None
        answer = client.post(f"/sandbox/accounts/{name}/tokens", json=body)
        assert answer.status_code == 201
        return {"Authorization": f"Bearer {answer.json['access_token']}"}

    return issue


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """A real threaded server in this process on a free port."""
    with running_sandbox(tmp_path / "live.db") as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[str]:
    """``python -m sandbox serve`` in a subprocess, configured by env vars."""
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "POSTGATE_SANDBOX_URL": url, "POSTGATE_INSTANCE": str(tmp_path / "inst")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        sandbox_client.wait_ready(url, timeout=15)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
