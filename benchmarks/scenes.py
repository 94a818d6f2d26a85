"""Setting the scene for publishing benchmarks and tests: sandbox accounts and approved
posts written straight to the store, as review would leave them, then queued as the API
queues them. Far faster than going through the API for hundreds of posts, and every part
that publishes (store, queue, workers, platform) is the real one."""

from __future__ import annotations

import random
import secrets
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from postgate import queue
from postgate.content import content_hash
from postgate.runtime import Runtime
from postgate.services.users import create_user
from postgate.store.models import Account, Approval, Post
from sandbox import client as sandbox

WORDS = (
    "collection printemps atelier livraison boutique nouveauté couleur lin coton "
    "recette saison équipe conseil jardin voyage lumière matière design week-end"
).split()


ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def private_redis(folder: Path) -> Iterator[str]:
    """A redis-server of the benchmark's own, on a socket in ``folder``: nobody else's data
    is flushed. Yields its URL."""
    socket = folder / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(socket), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        while not socket.exists():
            time.sleep(0.05)
        yield f"unix://{socket}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_env(
    tmp: Path,
    redis_url: str,
    sandbox_url: str,
    database_url: str | None,
    publishing: dict[str, int],
) -> dict[str, str]:
    """A benchmark's environment: its own instance, store and settings (the shipped rules,
    these ``[publishing]`` settings) in ``tmp``."""
    config = tmp / "postgate.toml"
    lines = [
        "[rules]",
        f'rules = "{ROOT / "config" / "rules.toml"}"',
        f'catalog = "{ROOT / "config" / "catalog.csv"}"',
        "[publishing]",
        *(f"{name} = {value}" for name, value in publishing.items()),
    ]
    config.write_text("\n".join(lines) + "\n")
    return {
        "POSTGATE_INSTANCE": str(tmp / "instance"),
        "POSTGATE_CONFIG": str(config),
        "POSTGATE_DATABASE_URL": database_url or f"sqlite:///{tmp / 'postgate.db'}",
        "POSTGATE_REDIS_URL": redis_url,
        "POSTGATE_REDIS_PREFIX": "pgbench:",
        "POSTGATE_SANDBOX_URL": sandbox_url,
    }


def make_accounts(rt: Runtime, sandbox_url: str, names: Iterable[str]) -> list[tuple[int, str]]:
    """Sandbox accounts connected with a token the sandbox issued: ``(id, name)`` each."""
    out = []
    with rt.store.transaction() as db:
        for name in names:
            token = sandbox.issue_token(sandbox_url, name)["access_token"]
            account = Account(
                name=name,
                platform="sandbox",
                base_url=sandbox_url,
                credentials_enc=rt.vault.encrypt_json({"token": token}),
                windows=[],
                blackout_dates=[],
            )
            db.add(account)
            db.flush()
            out.append((account.id, name))
    return out


def make_people(rt: Runtime, prefix: str = "bench") -> tuple[int, int]:
    """An author and a reviewer: their ids."""
    with rt.store.transaction() as db:
        made = [
            create_user(rt, db, f"{prefix}-{role}", [role], password=_pw(), actor=prefix)
            for role in ("author", "reviewer")
        ]
        return made[0].user.id, made[1].user.id


def make_posts(
    rt: Runtime,
    people: tuple[int, int],
    plan: Iterable[tuple[int, str, datetime]],
    *,
    seed: int = 7,
) -> list[tuple[int, datetime]]:
    """An approved, scheduled post for each ``(account id, account name, time)``, each with
    a text of its own: ``(post id, time)`` each, not yet queued."""
    rng = random.Random(seed)
    author_id, reviewer_id = people
    out = []
    with rt.store.transaction() as db:
        for n, (account_id, name, when) in enumerate(plan):
            text = f"Message {n}: " + " ".join(rng.choice(WORDS) for _ in range(12)) + "."
            digest = content_hash(name, text, when, [], [])
            post = Post(
                account_id=account_id,
                author_id=author_id,
                text=text,
                scheduled_at=when,
                status="scheduled",
                content_hash=digest,
                links=[],
                media=[],
            )
            db.add(post)
            db.flush()
            db.add(Approval(post_id=post.id, reviewer_id=reviewer_id, content_hash=digest))
            out.append((post.id, when))
    return out


def enqueue_all(rt: Runtime, posts: Iterable[tuple[int, datetime]]) -> None:
    """Queue each post for its time, as the API does after the last approval."""
    for post_id, when in posts:
        queue.enqueue_publish(rt, post_id, 1, when)


def _pw() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class Settled:
    """How each post ended up: its status, the reason a person reads, and how many seconds
    after its time it settled (published, or waiting for a person with the reason)."""

    status: dict[int, str] = field(default_factory=dict)
    reason: dict[int, str] = field(default_factory=dict)
    lateness: dict[int, float] = field(default_factory=dict)

    def unsettled(self, post_ids: Iterable[int]) -> list[int]:
        return [p for p in post_ids if p not in self.lateness]

    def percentile(self, share: float) -> float:
        values = sorted(self.lateness.values())
        return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def watch_settling(
    rt: Runtime, posts: list[tuple[int, datetime]], timeout: float, step: float = 0.5
) -> Settled:
    """Poll the store until every post settled or ``timeout`` seconds passed. A published
    post settled when the platform made it; one waiting for a person (outcome unknown and
    the account unreadable, or ``failed``/``blocked`` with a reason) when first seen so."""
    due = dict(posts)
    seen = Settled()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and seen.unsettled(due):
        now = datetime.now(UTC)
        with rt.store.session() as db:
            rows = db.scalars(select(Post).where(Post.id.in_(seen.unsettled(due)))).all()
            for post in rows:
                seen.status[post.id], seen.reason[post.id] = post.status, post.status_reason
                if post.status == "published" and post.published_at is not None:
                    seen.lateness[post.id] = (post.published_at - due[post.id]).total_seconds()
                elif post.status in ("failed", "blocked") or post.unresolved_reason:
                    seen.lateness[post.id] = (now - due[post.id]).total_seconds()
        time.sleep(step)
    return seen


def duplicates(sandbox_url: str, names: Iterable[str]) -> tuple[int, Counter[str]]:
    """Posts the platform holds more than once, and how many times it holds each text."""
    live: Counter[str] = Counter()
    for name in names:
        live.update(item["text"] for item in sandbox.list_live(sandbox_url, name))
    return sum(count - 1 for count in live.values() if count > 1), live
