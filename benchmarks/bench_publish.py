"""Benchmark scheduled publishing end to end: store, Redis, RQ workers, the sandbox platform.

Creates approved posts spread evenly over a time span across sandbox accounts, enqueues
them as the API would, starts real ``postgate worker`` processes and waits until every post
is settled. Reports lateness (platform ``created_at`` minus scheduled time: median, p99,
max), duplicates on the platform (must be 0), lost posts (must be 0) and the Redis memory
each scheduled post costs. Uses its own temp folder, SQLite store and Redis database.

    python benchmarks/bench_publish.py --posts 10000 --minutes 10 --accounts 50 --workers 4
    python benchmarks/bench_publish.py --quick
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from benchmarks.scenes import bench_env, make_accounts, make_people, make_posts  # noqa: E402
from postgate import queue  # noqa: E402
from postgate.runtime import Runtime  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Post  # noqa: E402
from sandbox import client as sandbox  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402


def main() -> None:
    args = parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="pg-bench-") as tmp,
        running_sandbox(Path(tmp) / "sandbox.db") as sandbox_url,
    ):
        env = make_env(Path(tmp), args.redis_url, sandbox_url, args.database_url)
        os.environ.update(env)
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        redis = Redis.from_url(args.redis_url)
        redis.flushdb()
        accounts = make_accounts(rt, sandbox_url, (f"bench-{n:03d}" for n in range(args.accounts)))
        start = datetime.now(UTC) + timedelta(seconds=args.lead)
        posts = make_posts(rt, make_people(rt), spread(accounts, args.posts, start, args.minutes))
        memory_before = used_memory(redis)
        began = time.monotonic()
        for post_id, when in posts:
            queue.enqueue_publish(rt, post_id, 1, when)
        enqueue_seconds = time.monotonic() - began
        per_post = (used_memory(redis) - memory_before) / len(posts)
        if datetime.now(UTC) > start:
            print("warning: enqueuing took longer than --lead; early posts start late")
        procs = start_workers(env, args.workers, Path(tmp))
        try:
            wait_settled(rt, len(posts), args.minutes * 60 + args.lead + 180)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
        report(rt, sandbox_url, accounts, posts, per_post, enqueue_seconds, args)
        if args.show_log:
            print((Path(tmp) / "worker-0.log").read_text()[-args.show_log :])
        redis.flushdb()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--lead", type=float, default=None, help="seconds before the first post")
    parser.add_argument("--quick", action="store_true", help="300 posts over 30 s, 10 accounts")
    parser.add_argument("--show-log", type=int, default=0, help="print this much worker log")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument(
        "--database-url",
        default=None,
        help="store URL (default: SQLite in a temp folder); an empty PostgreSQL database works",
    )
    args = parser.parse_args()
    if args.quick:
        args.posts, args.minutes, args.accounts = 300, 0.5, 10
    if args.lead is None:
        args.lead = 10 + args.posts / 400  # room to enqueue before the first one is due
    return args


def make_env(
    tmp: Path, redis_url: str, sandbox_url: str, database_url: str | None = None
) -> dict[str, str]:
    return bench_env(tmp, redis_url, sandbox_url, database_url, {"reconcile_seconds": 30})


def spread(
    accounts: list[tuple[int, str]], count: int, start: datetime, minutes: float
) -> list[tuple[int, str, datetime]]:
    """``count`` posts evenly over ``minutes`` from ``start``, the accounts taking turns."""
    span = minutes * 60
    return [
        (
            *accounts[n % len(accounts)],
            (start + timedelta(seconds=span * n / count)).replace(microsecond=0),
        )
        for n in range(count)
    ]


def used_memory(redis: Redis) -> int:
    return int(redis.info("memory")["used_memory"])


def start_workers(env: dict[str, str], count: int, tmp: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for n in range(count):
        log = open(tmp / f"worker-{n}.log", "wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "postgate", "worker"],
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def wait_settled(rt: Runtime, total: int, timeout: float) -> None:
    from sqlalchemy import func, select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rt.store.session() as db:
            open_count = db.scalar(
                select(func.count())
                .select_from(Post)
                .where(Post.status.in_(("scheduled", "publishing")))
            )
        print(f"\r{total - open_count}/{total} settled", end="", flush=True)
        if not open_count:
            break
        time.sleep(2)
    print()


def live_posts(sandbox_url: str, accounts) -> tuple[Counter[str], dict[str, datetime]]:
    """What the platform holds: how many times each text is live, and when it was made."""
    live: Counter[str] = Counter()
    created: dict[str, datetime] = {}
    for _, name in accounts:
        for item in sandbox.list_live(sandbox_url, name):
            live[item["text"]] += 1
            created[item["text"]] = datetime.fromisoformat(
                item["created_at"].replace("Z", "+00:00")
            )
    return live, created


def report(rt, sandbox_url, accounts, posts, per_post, enqueue_seconds, args) -> None:
    from sqlalchemy import select

    with rt.store.session() as db:
        rows = db.execute(select(Post.id, Post.text, Post.status, Post.scheduled_at)).all()
    live, created = live_posts(sandbox_url, accounts)
    lateness = sorted(
        (created[r.text] - r.scheduled_at).total_seconds() for r in rows if r.text in created
    )
    early = sum(1 for value in lateness if value < 0)
    duplicates = sum(count - 1 for count in live.values() if count > 1)
    lost = sum(1 for r in rows if live[r.text] == 0)
    statuses = Counter(r.status for r in rows)
    p99 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))] if lateness else float("nan")
    print(
        f"posts {len(posts)} over {args.minutes} min, {len(accounts)} accounts, "
        f"{args.workers} workers (enqueue took {enqueue_seconds:.1f} s)"
    )
    print(f"statuses: {dict(statuses)}")
    if lateness:
        print(
            f"lateness: median {statistics.median(lateness):.3f} s, p99 {p99:.3f} s, "
            f"max {lateness[-1]:.3f} s, early {early}"
        )
    print(f"duplicates: {duplicates}   lost: {lost}")
    print(f"redis memory per scheduled post: {per_post:.0f} bytes")


if __name__ == "__main__":
    main()
