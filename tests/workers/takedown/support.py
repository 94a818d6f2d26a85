"""What the takedown tests share: the sandbox (``platform``) and worker processes started on
demand (``workers``) as fixtures, and helpers that connect accounts, publish as Postgate
would, press the takedown and follow it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from postgate.services.credentials import connector_for_account
from postgate.store.models import Account, Post
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from tests.conftest import ROOT
from tests.helpers import NO_DELETION_LIMIT, make_account, sandbox_credentials, wait_until
from tests.workers.conftest import descendants


@pytest.fixture
def platform(tmp_path):
    with running_sandbox(tmp_path / "sandbox", realism=NO_DELETION_LIMIT) as url:
        yield url


@pytest.fixture
def workers(env, platform, tmp_path):
    """Start worker processes on demand (each in its own process group); killed at the end."""
    procs: list[subprocess.Popen] = []
    full_env = {**os.environ, **env, "POSTGATE_SANDBOX_URL": platform}

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "postgate", "worker"],
            env=full_env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        kill(proc)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the worker, its work horse (own process group) and everything under it."""
    if proc.poll() is None:
        for pid in descendants(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def connect(rt, url: str, name: str) -> int:
    return make_account(rt, name, base_url=url, credentials=sandbox_credentials(url, name))


def publish_as_postgate(rt, account_id: int, author_id: int, text: str) -> int:
    """What the publish worker leaves behind: the post on the platform and a published row."""
    with rt.store.transaction() as db:
        account = db.get(Account, account_id)
        with connector_for_account(rt, account) as connector:
            remote = connector.publish(text, idempotency_key=text)
        post = Post(
            account_id=account_id,
            author_id=author_id,
            text=text,
            content_hash="0" * 64,
            status="published",
            remote_id=remote.remote_id,
            remote_url=remote.url,
            published_at=remote.created_at,
        )
        db.add(post)
        db.flush()
        return post.id


def user_id(rt, username: str) -> int:
    from postgate.store.models import User

    with rt.store.session() as db:
        return db.scalar(select(User.id).where(User.username == username))


def live_texts(url: str, name: str) -> set[str]:
    return {p["text"] for p in sandbox.list_live(url, name)}


def build_scene(
    rt, actors, platform: str, *, old_attacks: int, ours: int, attacks: int, others: int
) -> dict:
    """acme: ``old_attacks`` attacker posts and one Postgate post before ``since``, then
    ``ours`` Postgate posts and ``attacks`` attacker posts; other (when ``others``): that many
    posts in the window, never to be touched."""
    acme = connect(rt, platform, "acme")
    other = connect(rt, platform, "other") if others else None
    alice = user_id(rt, actors.create("alice", "author").username)
    for i in range(old_attacks):
        sandbox.post_direct(platform, "acme", f"old attacker post {i}")
    publish_as_postgate(rt, acme, alice, "old legitimate post")
    time.sleep(0.05)
    since = datetime.now(UTC)
    time.sleep(0.05)
    for i in range(ours):
        publish_as_postgate(rt, acme, alice, f"legitimate post {i}")
    for i in range(attacks):
        sandbox.post_direct(platform, "acme", f"BUY CRYPTO NOW {i}")
    for i in range(others):
        sandbox.post_direct(platform, "other", f"other account post {i}")
    return {"acme": acme, "other": other, "since": since, "url": platform}


def wait_done(client, lead, takedown_id: int, timeout: float = 40) -> dict:
    seen: dict = {}

    def done() -> dict | None:
        seen.update(client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).json)
        return dict(seen) if seen["status"] == "done" else None

    return wait_until(
        done, timeout, lambda: f"the takedown: {seen['phase']} {seen['progress']}", step=0.2
    )


def start(client, lead, since: datetime, **extra):
    """Start a takedown that also deletes Postgate's own posts in the window (these tests
    are about finding and deleting; tests/workers/test_takedown_scope.py about the choice)."""
    body = {"since": since.isoformat(), "include_postgate": "all", **extra}
    return client.post("/api/v1/takedowns", json=body, headers=lead.headers)


def tick() -> datetime:
    """A time strictly between the posts made before and after it."""
    time.sleep(0.05)
    now = datetime.now(UTC)
    time.sleep(0.05)
    return now


def layer_texts(label: str, name: str, attacks: int) -> set[str]:
    return {f"{label} legitimate post on {name}"} | {
        f"{label} attacker post {i} on {name}" for i in range(attacks)
    }


def wait_progress(
    client, lead, takedown_id: int, deleted: int, timeout: float = 30, step: float = 0.05
) -> dict:
    seen: dict = {}

    def far_enough() -> dict | None:
        seen.update(client.get(f"/api/v1/takedowns/{takedown_id}", headers=lead.headers).json)
        return dict(seen) if seen["progress"]["deleted"] >= deleted else None

    return wait_until(
        far_enough, timeout, lambda: f"{deleted} deletions: {seen['progress']}", step=step
    )


def audit_entries(rt, action: str) -> list:
    from postgate.store.models import AuditEntry

    with rt.store.session() as db:
        found = db.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        ).all()
        for entry in found:
            db.expunge(entry)
        return list(found)
