"""``postgate up``: a whole Postgate on one machine, for trying it out and for development.

It reuses a Redis and a sandbox platform that already answer, and otherwise starts private
ones as child processes; every port it needs is checked first, and a taken one ends the
command with one line naming the flag that picks another. Its children (Redis, the
sandbox, the workers, the web app) are supervised: one that dies is started again
(:mod:`postgate.supervise`), and all stop on exit (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import click
import httpx
from redis import Redis
from redis.exceptions import RedisError

from postgate.errors import OperationError, SettingsError
from postgate.ports import require_free_port
from postgate.settings import Settings, load_settings
from postgate.supervise import Supervisor

PRIVATE_REDIS_PORT = 6391
START_TIMEOUT = 20  # seconds a child process gets to answer


@dataclass(frozen=True)
class LocalPorts:
    """Where ``up`` listens: the web app on ``host:web``; the sandbox and a private Redis on
    loopback, at these ports when given (else POSTGATE_SANDBOX_URL and 6391)."""

    host: str
    web: int
    sandbox: int | None = None
    redis: int | None = None


def redis_answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (RedisError, OSError):
        return False


def port_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=1
        ):
            return True
    except OSError:
        return False


def sandbox_answers(url: str) -> bool:
    """Whether the sandbox platform (not just anything) answers at ``url``."""
    try:
        response = httpx.get(f"{url}/sandbox/faults", timeout=2)
        return response.status_code == 200 and isinstance(response.json(), dict)
    except (httpx.HTTPError, ValueError):
        return False


def wait_until(check: Callable[[], bool], timeout: float = START_TIMEOUT) -> bool:
    """Whether ``check()`` turned true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def redis_server_argv(instance: Path, port: int) -> list[str]:
    """A private Redis on loopback, keeping nothing on disk (the store is the truth)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SettingsError(
            "POSTGATE_REDIS_URL: no Redis answers and redis-server is not installed "
            "(apt-get install redis-server)"
        )
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
            "no", "--dir", str(instance)]  # fmt: skip


def _redis_url(settings: Settings, ports: LocalPorts, sup: Supervisor) -> str:
    if ports.redis is None:
        if redis_answers(settings.redis_url):
            return settings.redis_url
        if {"POSTGATE_REDIS_URL", "POSTGATE_REDIS_URL_FILE"} & set(os.environ):
            raise SettingsError(
                "POSTGATE_REDIS_URL: no Redis answers at {url}", url=settings.redis_url
            )
    port = ports.redis or PRIVATE_REDIS_PORT
    url = f"redis://127.0.0.1:{port}/0"
    if redis_answers(url):
        return url
    require_free_port("127.0.0.1", port, flag="--redis-port", what="a private Redis")
    sup.start("redis", redis_server_argv(settings.instance_path, port), dict(os.environ))
    if not wait_until(lambda: redis_answers(url)):
        raise OperationError(f"the private Redis did not answer within {START_TIMEOUT} s")
    return url


def _sandbox_url(settings: Settings, ports: LocalPorts, sup: Supervisor, env: dict) -> str:
    url = settings.sandbox_url if ports.sandbox is None else f"http://127.0.0.1:{ports.sandbox}"
    if sandbox_answers(url):
        return url
    parsed = urlparse(url)
    port = parsed.port or 80
    require_free_port(
        parsed.hostname or "127.0.0.1", port, flag="--sandbox-port", what="the sandbox platform"
    )
    argv = [*_me(), "sandbox", "serve", "--port", str(port)]
    sup.start("sandbox", argv, {**env, "POSTGATE_SANDBOX_URL": url})
    if not wait_until(lambda: sandbox_answers(url)):
        raise OperationError(f"the sandbox platform did not answer within {START_TIMEOUT} s")
    return url


@contextmanager
def sandbox_running(settings: Settings) -> Iterator[None]:
    """The sandbox platform for the block (``postgate init --demo`` connects its accounts
    there): the one that answers, else a quiet ``postgate sandbox serve`` child on the
    instance's sandbox data, stopped at the end."""
    url = settings.sandbox_url
    if sandbox_answers(url):
        yield
        return
    parsed = urlparse(url)
    data = settings.instance_path / "sandbox.db"
    argv = [*_me(), "sandbox", "serve", "--host", parsed.hostname or "127.0.0.1",
            "--port", str(parsed.port or 80), "--data", str(data)]  # fmt: skip
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=quiet, stderr=quiet)  # noqa: S603 - our own command
    try:
        if not wait_until(lambda: sandbox_answers(url) or proc.poll() is not None):
            raise OperationError(f"the sandbox platform did not answer within {START_TIMEOUT} s")
        if proc.poll() is not None:
            raise OperationError(f"the sandbox platform did not start at {url}")
        yield
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _supervised(sup: Supervisor) -> bool:
    """One supervision round while waiting for something (children keep being restarted)."""
    sup.check_once()
    return True


def _me() -> list[str]:
    return [sys.executable, "-m", "postgate"]


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the children are stopped too, not orphaned."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def run_everything(ports: LocalPorts, *, worker_count: int) -> None:
    _stop_on_sigterm()
    settings = load_settings()
    require_free_port(ports.host, ports.web, flag="--port", what="the web app")
    sup = Supervisor(echo=click.echo)
    env = dict(os.environ)
    try:
        env["POSTGATE_REDIS_URL"] = _redis_url(settings, ports, sup)
        env["POSTGATE_SANDBOX_URL"] = _sandbox_url(settings, ports, sup, env)
        init = subprocess.run([*_me(), "init"], env=env, check=False)  # noqa: S603
        if init.returncode != 0:
            raise OperationError("`postgate init` failed (see above); nothing was started")
        for number in range(1, worker_count + 1):
            sup.start(f"worker {number}", [*_me(), "worker"], env)
        web = f"http://{ports.host}:{ports.web}"
        sup.start("web", [*_me(), "serve", "--host", ports.host, "--port", str(ports.web)], env)
        if not wait_until(lambda: _supervised(sup) and port_answers(web), timeout=60):
            raise OperationError(f"the web app did not answer on {web} within 60 s")
        click.echo(f"Postgate is up: {web}/  (Ctrl-C stops everything)")
        sup.watch()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        sup.stop_all()
