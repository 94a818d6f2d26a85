"""Fixtures for publishing tests: the sandbox platform, real worker processes, posts.

The sandbox runs in a thread of the test process on a free port; workers are real
``python -m postgate worker`` processes, each in a process group of its own so a test can
SIGKILL a worker with its work horse and scheduler, and every one is stopped at teardown.
They share the test's store file and Redis database through the ``env`` fixture.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Worker

from sandbox import client as sandbox_client
from sandbox.server import running_sandbox
from tests.conftest import make_env, write_fast_config
from tests.helpers import (
    NO_DELETION_LIMIT,
    approve_post,
    make_account,
    sandbox_credentials,
    start_postgate,
    stop_process_groups,
    wait_until,
)

# The name tests written before ``wait_until`` import from here.
wait_for = wait_until


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    """The sandbox without its deletion limit: these tests take down more than 30 posts in
    seconds; tests/workers/test_takedown_pacing.py covers the limit."""
    with running_sandbox(tmp_path / "sandbox.db", realism=NO_DELETION_LIMIT) as url:
        yield url


@pytest.fixture
def env(
    tmp_path: Path, database_url: str, redis_url: str, redis: Redis, sandbox_url: str
) -> dict[str, str]:
    """The root ``env`` with the sandbox's address and fast publishing settings."""
    config = write_fast_config(tmp_path)
    return make_env(
        tmp_path,
        database_url,
        redis_url,
        POSTGATE_SANDBOX_URL=sandbox_url,
        POSTGATE_CONFIG=str(config),
    )


class WorkerPool:
    """Real worker processes, started on demand and all stopped at teardown."""

    def __init__(self, env: dict[str, str], redis: Redis, logs: Path) -> None:
        self.env, self.redis, self.logs = env, redis, logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        before = len(Worker.all(connection=self.redis))
        proc = start_postgate(
            ["worker", *args], self.env, self.logs / f"worker-{len(self.procs)}.log"
        )
        self.procs.append(proc)
        wait_until(lambda: len(Worker.all(connection=self.redis)) > before, 15, "worker start")
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and every process under it.

        RQ's work horse calls ``os.setpgrp()``, so killing the worker's process group alone
        would leave the horse finishing the platform call; every descendant is found in
        /proc first and killed too.
        """
        family = [proc.pid, *descendants(proc.pid)]
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        for pid in family[1:]:
            wait_gone(pid)

    def stop_all(self) -> None:
        stop_process_groups(self.procs)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc (children before grandchildren)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (no longer listed, or a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_gone(pid: int, timeout: float = 5.0) -> None:
    wait_until(lambda: gone(pid), timeout, f"process {pid} to end after SIGKILL")


@pytest.fixture
def workers(env: dict[str, str], redis: Redis, tmp_path: Path) -> Iterator[WorkerPool]:
    pool = WorkerPool(env, redis, tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture
def account(rt, sandbox_url: str) -> str:
    """A sandbox account ``acme`` with a real token issued by the sandbox, and the client
    credentials of its app (which revoking the token needs)."""
    credentials = sandbox_credentials(sandbox_url, "acme")
    make_account(rt, "acme", base_url=sandbox_url, credentials=credentials)
    return "acme"


@pytest.fixture
def people(actors, account):
    return {
        "author": actors.person("alice", "author"),
        "reviewer": actors.person("bob", "reviewer"),
    }


class Poster:
    """Submits and approves posts through the API, and reads them back from the store."""

    def __init__(self, rt: Any, client: Any, people: dict, sandbox_url: str) -> None:
        self.rt, self.client, self.people, self.sandbox_url = rt, client, people, sandbox_url

    def schedule(self, text: str, seconds: float | None = 3.0, account: str = "acme") -> int:
        """A post approved for ``seconds`` from now (None: as soon as approved).

        On a machine so busy that the time passed between submitting and approving, the
        approval is refused (409 ``schedule_passed``) and the reviewer gives the time again,
        ``seconds`` from then, as a reviewer would: the post is still approved for a moment
        ``seconds`` ahead, which is what the scenes count on."""
        when = None if seconds is None else datetime.now(UTC) + timedelta(seconds=seconds)
        body = {"account": account, "text": text, "scheduled_at": when and when.isoformat()}
        made = self.client.post("/api/v1/posts", json=body, headers=self.people["author"].headers)
        assert made.status_code == 201, made.get_json()
        post_id = made.get_json()["id"]
        approved = approve_post(self.client, self.people["reviewer"], post_id)
        if approved.status_code == 409 and approved.get_json().get("error") == "schedule_passed":
            again = datetime.now(UTC) + timedelta(seconds=seconds or 0)
            approved = approve_post(
                self.client, self.people["reviewer"], post_id, scheduled_at=again.isoformat()
            )
        assert approved.get_json().get("status") == "scheduled", approved.get_json()
        return post_id

    def post(self, post_id: int) -> Any:
        from postgate.store.models import Post

        with self.rt.store.session() as db:
            post = db.get(Post, post_id)
            db.expunge(post)
            return post

    def wait_status(self, post_id: int, *statuses: str, timeout: float = 15) -> Any:
        wait_until(
            lambda: self.post(post_id).status in statuses, timeout, f"post {post_id} {statuses}"
        )
        return self.post(post_id)

    def live(self, text: str | None = None, account: str = "acme") -> list[dict]:
        posts = sandbox_client.list_live(self.sandbox_url, account)
        return [p for p in posts if text is None or p["text"] == text]


@pytest.fixture
def poster(rt, client, people, sandbox_url) -> Poster:
    return Poster(rt, client, people, sandbox_url)
