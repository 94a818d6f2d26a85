"""``postgate up``: a whole Postgate on one machine, for trying it out and for development.

It reuses a Redis and a sandbox platform that already answer, and otherwise starts private
ones as child processes, which it stops again on exit (Ctrl-C).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import click
from redis import Redis
from redis.exceptions import RedisError

from postgate.errors import SettingsError
from postgate.settings import load_settings

PRIVATE_REDIS_PORT = 6391
START_TIMEOUT = 20  # seconds a child process gets to answer


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


def wait_until(check: object, timeout: float = START_TIMEOUT) -> bool:
    """Whether ``check()`` turned true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def start_private_redis(instance: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SettingsError(
            "POSTGATE_REDIS_URL: no Redis answers and redis-server is not installed "
            "(apt-get install redis-server)"
        )
    url = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
    if redis_answers(url):
        return None, url  # type: ignore[return-value]
    instance.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            binary,
            "--port",
            str(PRIVATE_REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(instance),
        ],
        stdout=subprocess.DEVNULL,
    )
    if not wait_until(lambda: redis_answers(url)):
        raise SettingsError(
            "the private Redis did not start within {seconds} s", seconds=START_TIMEOUT
        )
    return proc, url


@contextmanager
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        yield procs
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the children are stopped too, not orphaned."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def run_everything(*, host: str, port: int, worker_count: int) -> None:
    _stop_on_sigterm()
    settings = load_settings()
    env = dict(os.environ)
    me = [sys.executable, "-m", "postgate"]
    with children() as procs:
        if not redis_answers(settings.redis_url):
            if "POSTGATE_REDIS_URL" in os.environ:
                raise SettingsError(
                    "POSTGATE_REDIS_URL: no Redis answers at {url}", url=settings.redis_url
                )
            proc, url = start_private_redis(settings.instance_path)
            if proc is not None:
                procs.append(proc)
            env["POSTGATE_REDIS_URL"] = url
            click.echo(f"started a private Redis at {url}")
        if not port_answers(settings.sandbox_url):
            procs.append(subprocess.Popen([*me, "sandbox", "serve"], env=env))  # noqa: S603
            if not wait_until(lambda: port_answers(settings.sandbox_url)):
                raise SettingsError(
                    "the sandbox platform did not start within {seconds} s", seconds=START_TIMEOUT
                )
            click.echo(f"started the sandbox platform at {settings.sandbox_url}")
        subprocess.run([*me, "init"], env=env, check=True)  # noqa: S603
        for _ in range(worker_count):
            procs.append(subprocess.Popen([*me, "worker"], env=env))  # noqa: S603
        web = subprocess.Popen([*me, "serve", "--host", host, "--port", str(port)], env=env)  # noqa: S603
        procs.append(web)
        click.echo(f"Postgate is up: http://{host}:{port}/  (Ctrl-C stops everything)")
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            click.echo("stopping")
        stopped = [p for p in procs if p.poll() is not None]
        if stopped:
            click.echo(f"a child process ended (exit {stopped[0].returncode}); stopping", err=True)
