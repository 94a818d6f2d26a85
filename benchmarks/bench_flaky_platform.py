"""Benchmark publishing against a flaky, rate-limited platform (issue 11: pace, don't collide).

The sandbox answers a share of all requests with 503 (before acting: the outcome is
unknown to Postgate, which must read the account back) and allows a number of requests a
second per account. Approved posts fall due evenly over a span on one account; real
``postgate worker`` processes publish them. Reports how long after its time each post
settled (published, or waiting for a person with the reason), duplicates on the platform
(must be 0), and what the platform saw: creates, listings, 503s, 429s.

    python benchmarks/bench_flaky_platform.py            # the issue's figures: 300 posts / 60 s
    python benchmarks/bench_flaky_platform.py --quick    # 60 posts over 12 s
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from benchmarks.bench_publish import start_workers  # noqa: E402
from benchmarks.scenes import (  # noqa: E402
    bench_env,
    duplicates,
    enqueue_all,
    make_accounts,
    make_people,
    make_posts,
    private_redis,
    watch_settling,
)
from postgate.runtime import Runtime  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from sandbox import client as sandbox  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402


def main() -> None:
    args = parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="pg-flaky-") as tmp,
        running_sandbox(Path(tmp) / "sandbox.db") as sandbox_url,
        ExitStack() as stack,
    ):
        if not args.redis_url:
            args.redis_url = stack.enter_context(private_redis(Path(tmp)))
        env = make_env(Path(tmp), args, sandbox_url)
        os.environ.update(env)
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        redis = Redis.from_url(args.redis_url)
        redis.flushdb()
        accounts = make_accounts(rt, sandbox_url, ["flaky"])
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=args.lead)
        span = args.seconds
        plan = [
            (*accounts[0], start + timedelta(seconds=span * n / args.posts))
            for n in range(args.posts)
        ]
        posts = make_posts(rt, make_people(rt), plan)
        enqueue_all(rt, posts)
        sandbox.set_faults(sandbox_url, rate_limit=args.rate_limit, error_rate=args.error_rate)
        sandbox.get_stats(sandbox_url, reset=True)
        sandbox.forget_arrivals(sandbox_url)
        procs = start_workers(env, args.workers, Path(tmp))
        try:
            settled = watch_settling(rt, posts, timeout=args.lead + span + args.bound + 60)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
        report(args, settled, posts, sandbox_url)
        if args.keep_logs:
            Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
            for log in Path(tmp).glob("worker-*.log"):
                shutil.copy(log, Path(args.keep_logs) / log.name)
        redis.flushdb()


def report(args, settled, posts, sandbox_url) -> None:
    doubled, live = duplicates(sandbox_url, ["flaky"])
    calls = Counter(
        (
            a["method"],
            "listing" if a["path"].endswith("/statuses") and a["method"] == "GET" else a["path"],
        )
        for a in sandbox.arrivals(sandbox_url, "flaky")
    )
    stats = sandbox.get_stats(sandbox_url)
    late = sorted(settled.lateness.values())
    statuses = Counter(settled.status.values())
    waiting = [p for p, _ in posts if settled.status.get(p) != "published"]
    print(
        f"{args.posts} posts over {args.seconds:g} s on one account, {args.workers} workers; "
        f"platform: {args.rate_limit} requests per second, {args.error_rate:.0%} answered 503"
    )
    print(f"statuses: {dict(statuses)}; waiting for a person: {len(waiting)}")
    for post_id in waiting[:5]:
        print(f"  post {post_id}: {settled.reason.get(post_id)}")
    if late:
        print(
            f"settled after its time: median {statistics.median(late):.1f} s, "
            f"p99 {settled.percentile(0.99):.1f} s, max {late[-1]:.1f} s "
            f"(bound {args.bound:g} s; over it: {sum(1 for v in late if v > args.bound)})"
        )
    unsettled = settled.unsettled(dict(posts))
    live_count = sum(live.values())
    print(f"unsettled: {len(unsettled)}; duplicates on the platform: {doubled}; live: {live_count}")
    print(
        f"platform requests {stats['requests']}: creates {calls[('POST', '/api/v1/statuses')]}, "
        f"listings {calls[('GET', 'listing')]}, "
        f"verify_credentials {calls[('GET', '/api/v1/accounts/verify_credentials')]}, "
        f"503 {stats['errors_5xx']}, 429 {stats['rate_limited']}"
    )


def make_env(tmp: Path, args: argparse.Namespace, sandbox_url: str) -> dict[str, str]:
    publishing = {"reconcile_seconds": args.reconcile, "claim_settle_seconds": args.settle}
    return bench_env(tmp, args.redis_url, sandbox_url, args.database_url, publishing)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0, help="span the posts fall due in")
    parser.add_argument("--rate-limit", default="5/1", help="per account, N/SECONDS")
    parser.add_argument("--error-rate", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--bound", type=float, default=300.0, help="goal: settled within (s)")
    parser.add_argument("--lead", type=float, default=5.0)
    parser.add_argument("--reconcile", type=int, default=30, help="[publishing] reconcile_seconds")
    parser.add_argument("--settle", type=int, default=30, help="[publishing] claim_settle_seconds")
    parser.add_argument("--quick", action="store_true", help="60 posts over 12 s, bound 60 s")
    parser.add_argument("--redis-url", default=None, help="default: a redis-server of its own")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep-logs", default=None, help="copy the workers' logs to this folder")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.seconds, args.bound = 60, 12.0, 60.0
    return args


if __name__ == "__main__":
    main()
