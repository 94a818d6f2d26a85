"""Servers a test may stop, empty and start again: a private ``redis-server``, and a private
PostgreSQL cluster (``initdb`` and ``pg_ctl`` from the installed server binaries)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
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
    the test may restart (``pg_ctl restart -m fast``, as an operator or a failover would).
    PostgreSQL refuses to run as root: as root it runs as the ``postgres`` user."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="postgate-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        settings = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.folder}'\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n"
        )
        self._run("sh", "-c", f"cat >> {self.data / 'postgresql.conf'}", stdin=settings)

    def start(self) -> None:
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.folder / "server.log"))

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast", "-w", "-t", "30")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def _run(self, tool: str, *args: str, stdin: str | None = None) -> None:
        path = tool if tool == "sh" else str(self.bin / tool)
        subprocess.run(
            [*self._as, path, *args],
            check=True,
            input=stdin.encode() if stdin is not None else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C"},
            timeout=60,
        )


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the module's own (skipped where no server is installed)."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0 and not _has_user("postgres"):
        pytest.skip("PostgreSQL refuses to run as root, and there is no postgres user")
    server = PrivatePostgres(binaries)
    server.init()
    server.start()
    yield server
    server.stop()
    server.remove()
