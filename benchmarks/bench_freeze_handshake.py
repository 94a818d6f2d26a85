"""Benchmark the freeze handshake (issue 11: a confirmed freeze means no call starts afterwards).

Each run: one account, a burst of posts due at one instant, real ``postgate worker``
processes publishing them, and a freeze of that account set at a random offset around the
instant, the way ``POST /api/v1/freeze`` sets it (the store's transaction, then the
handshake with the workers). The sandbox notes when each platform call arrived. Reports the
calls that arrived after the freeze had answered (must be 0), how many posts each answer
listed in flight, how many were stopped, and how long the handshake kept the answer waiting.

    python benchmarks/bench_freeze_handshake.py                 # 10 runs of 100 posts, 3 workers
    python benchmarks/bench_freeze_handshake.py --quick         # 5 runs of 20 posts
    python benchmarks/bench_freeze_handshake.py --pace 1/0.5    # posts wait for budget too
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import select  # noqa: E402

from benchmarks.bench_publish import start_workers  # noqa: E402
from benchmarks.scenes import (  # noqa: E402
    bench_env,
    enqueue_all,
    make_accounts,
    make_people,
    make_posts,
    private_redis,
)
from postgate.runtime import Runtime  # noqa: E402
from postgate.services import freezes  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Post, User  # noqa: E402
from sandbox import client as sandbox  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402


def main() -> None:
    args = parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="pg-freeze-") as tmp,
        running_sandbox(Path(tmp) / "sandbox.db") as sandbox_url,
        ExitStack() as stack,
    ):
        redis_url = stack.enter_context(private_redis(Path(tmp)))
        publishing = {"reconcile_seconds": 30, "claim_settle_seconds": 30}
        env = bench_env(Path(tmp), redis_url, sandbox_url, None, publishing)
        os.environ.update(env)
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        procs = start_workers(env, args.workers, Path(tmp))
        redis = Redis.from_url(redis_url)
        while len(Worker.all(connection=redis)) < args.workers:  # each is ready to work
            time.sleep(0.2)
        try:
            results = [run_once(rt, sandbox_url, args, n) for n in range(args.runs)]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
        report(args, results)


def run_once(rt: Runtime, sandbox_url: str, args: argparse.Namespace, n: int) -> dict:
    rng = random.Random(n)
    accounts = make_accounts(rt, sandbox_url, [f"burst{n:03d}"])
    people = make_people(rt, f"burst{n:03d}")
    if args.pace:
        sandbox.set_faults(sandbox_url, rate_limit=args.pace)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    posts = make_posts(rt, people, [(*accounts[0], due)] * args.posts, seed=n)
    enqueue_all(rt, posts)
    fire = due.timestamp() + rng.uniform(-0.05, args.spread)
    time.sleep(max(0.0, fire - time.time()))
    sent = time.time()
    with rt.store.transaction() as db:  # as POST /api/v1/freeze does
        actor = db.get(User, people[0])
        result = freezes.set_freeze(rt, db, actor, accounts[0][1], "benchmark")
    in_flight = freezes.confirm_freeze(rt, result.scope)
    answered = time.time()
    ids = [p for p, _ in posts]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _settled(rt, ids):
        time.sleep(0.5)
    calls = [
        a
        for a in sandbox.arrivals(sandbox_url, accounts[0][1])
        if a["method"] == "POST" and a["path"] == "/api/v1/statuses"
    ]
    return {
        "late": sum(1 for a in calls if a["at"] > answered),
        "calls": len(calls),
        "in_flight": len(in_flight),
        "answer_ms": (answered - sent) * 1000,
        "statuses": Counter(_statuses(rt, ids).values()),
        "reasons": Counter(_reasons(rt, ids)),
    }


def _reasons(rt: Runtime, ids: list[int]) -> list[str]:
    with rt.store.session() as db:
        return list(db.scalars(select(Post.reason).where(Post.id.in_(ids))))


def _statuses(rt: Runtime, ids: list[int]) -> dict[int, str]:
    with rt.store.session() as db:
        return dict(db.execute(select(Post.id, Post.status).where(Post.id.in_(ids))).all())


def _settled(rt: Runtime, ids: list[int]) -> bool:
    return all(s in ("published", "blocked") for s in _statuses(rt, ids).values())


def report(args: argparse.Namespace, results: list[dict]) -> None:
    late = sum(r["late"] for r in results)
    answers = sorted(r["answer_ms"] for r in results)
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r["statuses"])
    print(
        f"{args.runs} runs of {args.posts} posts due at one instant, {args.workers} workers, "
        f"freeze at -50 ms to +{args.spread * 1000:.0f} ms"
        + (f", platform limit {args.pace}" if args.pace else "")
    )
    calls = sum(r["calls"] for r in results)
    print(f"calls that started after the freeze answered: {late} (of {calls})")
    print(f"listed in flight per answer: {[r['in_flight'] for r in results]}")
    print(f"posts: {dict(statuses)}")
    reasons: Counter[str] = Counter()
    for r in results:
        reasons.update(r["reasons"])
    print(f"reasons: {dict(reasons.most_common(3))}")
    print(
        f"freeze answer (commit + handshake): median {statistics.median(answers):.0f} ms, "
        f"max {answers[-1]:.0f} ms"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--posts", type=int, default=100, help="posts due at the one instant")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--spread", type=float, default=2.5, help="latest freeze offset (s)")
    parser.add_argument("--pace", default=None, help="the sandbox's limit per account, N/SECONDS")
    parser.add_argument("--quick", action="store_true", help="5 runs of 20 posts")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.posts = 5, 20
    return args


if __name__ == "__main__":
    main()
