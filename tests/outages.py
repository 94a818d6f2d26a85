"""Servers a test may stop, empty and start again: a private ``redis-server``, and a private
PostgreSQL cluster (``initdb`` and ``pg_ctl`` from the installed server binaries)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from tests.conftest import _free_port
from tests.helpers import wait_until


class PrivateRedis:
    """A redis-server the test may stop and start again on the same port, empty each time."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed (scripts/setup-env installs it)"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.answers, 10, "redis-server to answer")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None

    def flushall(self) -> None:
        Redis.from_url(self.url).flushall()

    def answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except Exception:
            return False


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of the test's own (import it with ``redis_url`` pointing at it)."""
    server = PrivateRedis()
    server.start()
    yield server
    if server.proc is not None:
        server.stop()


def postgres_binaries() -> Path | None:
    """The newest installed PostgreSQL server's ``bin`` folder (Debian's layout), if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary folder on a free port, which
    the test may restart (``pg_ctl restart -m fast``, as an operator or a failover would)."""

    def __init__(self, folder: Path, binaries: Path) -> None:
        self.folder, self.bin = folder, binaries
        self.data = folder / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n"
            )

    def start(self) -> None:
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.folder / "server.log"))

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast", "-w", "-t", "30")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C"},
            timeout=60,
        )
