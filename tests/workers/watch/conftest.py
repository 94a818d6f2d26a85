"""Fixtures for the watch (workers/watch.py) against the sandbox: the account ``acme``, its
stream watched by a thread of the test process, Postgate's own posts published through the
real publish path, and what the attacker does with the stolen token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sandbox import client as sandbox_client
from tests.helpers import drain_queue, wait_until

# Texts the platform rewrites: remote and local mentions, links it shortens, hashtags it
# links (and lowercases in its tags), emoji, characters HTML escapes.
REWRITTEN = (
    "Bienvenue @team@other.example ! #Lancement https://acme.fr/annonces/2026/la-grande-nouvelle",
    "Merci à tous 🎉🚀 #Merci #BonneAnnée — rendez-vous sur https://acme.fr/?a=1&b=2",
    "Q&A <live> ce soir avec @alice@social.example et @bob@other.example 👋",
    "Nouvelle boutique : https://shop.acme.fr/fr/collections/hiver-2026/ #Hiver 😀 ❤️",
)


@pytest.fixture
def watch_rt(rt: Any) -> Any:
    """The watch on (the tests' settings leave it off), readings every second, so the profile
    is read at each heartbeat."""
    rt.settings = rt.settings.with_overrides(
        watch_enabled=True, watch_poll_seconds=1, watch_reconnect_seconds=1
    )
    return rt


@pytest.fixture
def account_id(watch_rt: Any, account: str) -> int:
    from postgate.store.models import Account

    with watch_rt.store.session() as db:
        return db.scalar(select(Account.id).where(Account.name == account))


@pytest.fixture
def attacker(sandbox_url: str, account: str) -> Attacker:
    return Attacker(sandbox_url, account)


class Attacker:
    """Someone holding the account's token, acting on the platform without Postgate."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.token = sandbox_client.issue_token(url, name)["access_token"]

    def post(self, text: str, visibility: str = "public") -> dict[str, Any]:
        return sandbox_client.post_direct(self.url, self.name, text, visibility)

    def edit(self, remote_id: str, text: str) -> dict[str, Any]:
        return sandbox_client.edit_direct(self.url, self.name, remote_id, text)

    def delete(self, remote_id: str) -> None:
        answer = httpx.delete(
            f"{self.url}/api/v1/statuses/{remote_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert answer.status_code == 200, answer.text

    def profile(self, files: dict[str, bytes] | None = None, **fields: str) -> dict[str, Any]:
        return sandbox_client.update_profile(self.url, self.token, files, **fields)


@pytest.fixture
def stream(watch_rt: Any, account_id: int, sandbox_url: str) -> Iterator[Callable[[], Any]]:
    """Start the account's stream watch (heartbeats every 0.2 s); stopped at teardown."""
    from workers.watch import StreamWatch

    sandbox_client.set_streaming(sandbox_url, heartbeat_seconds=0.2)
    started: list[StreamWatch] = []

    def start() -> StreamWatch:
        watcher = StreamWatch(watch_rt, account_id)
        watcher.start()
        started.append(watcher)
        wait_until(watcher.connected.is_set, 15, "the stream to open")
        return watcher

    yield start
    for watcher in started:
        watcher.stop.set()
    for watcher in started:
        watcher.join(timeout=10)


@pytest.fixture
def publish(watch_rt: Any, poster: Any) -> Callable[[str], Any]:
    """Publish a text as Postgate does: submitted, approved, then the real publish job."""
    from workers.jobs import publish as publish_job

    def run(text: str) -> Any:
        post_id = poster.schedule(text, seconds=None)
        outcome = publish_job(watch_rt, post_id, 1)
        post = poster.post(post_id)
        assert post.status == "published", (outcome, post.status, post.reason)
        return post

    return run


def alerts(rt: Any) -> list[Any]:
    """Every alert, oldest first, detached from the session."""
    from postgate.store.models import WatchAlert

    with rt.store.session() as db:
        rows = list(db.scalars(select(WatchAlert).order_by(WatchAlert.id)))
        for row in rows:
            db.expunge(row)
        return rows


def wait_alerts(rt: Any, count: int, timeout: float = 10) -> list[Any]:
    wait_until(
        lambda: len(alerts(rt)) >= count,
        timeout,
        lambda: f"{count} alerts (have {[(a.kind, a.text) for a in alerts(rt)]})",
    )
    return alerts(rt)


def run_watch_jobs(rt: Any) -> None:
    """Run the watch's queued jobs on a real RQ worker in this process, until none is left."""
    from postgate import queue

    drain_queue(rt, queue.WATCH_QUEUE)
