"""Benchmark a takedown: 1,000 attacker posts across 10 sandbox accounts.

The sandbox adds 50 ms to every platform call and limits each account to 300 requests per
5 minutes (the defaults below). One real ``postgate worker`` process runs the takedown job.
Two figures:

- request -> freeze in force: the ``POST /api/v1/takedowns`` round trip (the freezes are
  committed before it answers), and when the freeze row's commit became visible;
- request -> all deleted (last item outcome) and -> done (credentials revoked too),
  against the lower bound that latency and the rate limit set for the same number of calls.

Lower bound per account, with ``DELETERS_PER_ACCOUNT`` calls in flight: the calls it must
make (verify + listing pages + deletions + revoke), ``ceil(calls / limit) - 1`` full rate
windows, and ``ceil(deletions / concurrency) + listing + 2`` latencies; accounts run in
parallel, so the bound is the largest account's.

    python benchmarks/bench_takedown.py [--quick] [--accounts 10] [--posts 1000]
        [--latency-ms 50] [--rate-limit 300/300] [--redis redis://127.0.0.1:6379/8]
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from postgate.platforms.mastodon import PAGE_SIZE  # noqa: E402
from postgate.runtime import Runtime  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Freeze, Takedown, TakedownItem  # noqa: E402
from sandbox import client as sandbox  # noqa: E402
from sandbox.faults import parse_rate_limit  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402
from sandbox.switches import Realism  # noqa: E402
from workers.takedown_account import DELETERS_PER_ACCOUNT  # noqa: E402


def lower_bound(posts: int, latency: float, limit: int, period: float) -> float:
    pages = posts // PAGE_SIZE + 1
    calls = 1 + pages + posts + 1
    windows = (math.ceil(calls / limit) - 1) * period
    latencies = (math.ceil(posts / DELETERS_PER_ACCOUNT) + pages + 2) * latency
    return max(windows, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 posts on 10 accounts")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate-limit", default="300/300")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    )
    args = parser.parse_args()
    if args.quick:
        args.posts = 200
    with tempfile.TemporaryDirectory(prefix="bench-takedown-") as tmp:
        run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> None:
    import logging

    from redis import Redis

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    Redis.from_url(args.redis).flushdb()
    env = {
        "POSTGATE_INSTANCE": str(tmp / "instance"),
        "POSTGATE_CONFIG": str(ROOT / "config" / "postgate.toml"),
        "POSTGATE_DATABASE_URL": f"sqlite:///{tmp / 'postgate.db'}",
        "POSTGATE_REDIS_URL": args.redis,
        "POSTGATE_REDIS_PREFIX": "bench:",
    }
    rt = Runtime(load_settings(env=env))
    init_store(rt)
    with running_sandbox(tmp / "sandbox", realism=Realism(deletion_limit=None)) as url:
        env["POSTGATE_SANDBOX_URL"] = url
        names = seed(rt, url, args.accounts, args.posts)
        sandbox.set_faults(url, latency_ms=args.latency_ms, rate_limit=args.rate_limit)
        worker = subprocess.Popen(
            [sys.executable, "-m", "postgate", "worker"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            time.sleep(3)  # let the worker start
            measure(rt, args, names, url)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)


def seed(rt: Runtime, url: str, accounts: int, posts: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.helpers import make_account, sandbox_credentials

    names = [f"brand{i:02d}" for i in range(accounts)]
    for name in names:
        make_account(rt, name, base_url=url, credentials=sandbox_credentials(url, name))
    for n in range(posts):
        sandbox.post_direct(url, names[n % accounts], f"attacker post {n}: buy crypto now")
    return names


def measure(rt: Runtime, args: argparse.Namespace, names: list[str], url: str) -> None:
    from gateway import create_app
    from tests.helpers import Actors

    app = create_app({"TESTING": True}, settings=rt.settings)
    client = app.test_client()
    lead = Actors(rt, client).person("sam", "security")
    since = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    t0 = time.monotonic()
    wall0 = datetime.now(UTC)
    response = client.post(
        "/api/v1/takedowns", json={"since": since, "accounts": names}, headers=lead.headers
    )
    t_answer = time.monotonic() - t0
    assert response.status_code == 202, response.get_json()
    takedown_id = response.get_json()["id"]
    with rt.store.session() as db:
        last_freeze = db.scalar(select(func.max(Freeze.created_at)))
    while True:
        with rt.store.session() as db:
            status = db.get(Takedown, takedown_id).status
        if status == "done":
            break
        time.sleep(0.05)
    t_done = time.monotonic() - t0
    with rt.store.session() as db:
        rows = db.execute(
            select(TakedownItem.outcome, func.count(), func.max(TakedownItem.updated_at)).group_by(
                TakedownItem.outcome
            )
        ).all()
    outcomes = {row[0]: row[1] for row in rows}
    last_item = max(row[2] for row in rows)
    rule = parse_rate_limit(args.rate_limit)
    per_account = math.ceil(args.posts / args.accounts)
    bound = lower_bound(per_account, args.latency_ms / 1000, rule.limit, rule.period)
    live = sum(len(sandbox.list_live(url, n)) for n in names)
    stats = sandbox.get_stats(url)
    print(f"takedown of {args.posts} posts on {args.accounts} accounts")
    print(f"  sandbox: latency {args.latency_ms} ms, rate limit {args.rate_limit} per account")
    print(f"  deleters per account: {DELETERS_PER_ACCOUNT}")
    print(f"  request -> freeze in force (API answered): {t_answer * 1000:.0f} ms")
    print(f"  request -> freeze committed: {(last_freeze - wall0).total_seconds() * 1000:.0f} ms")
    print(f"  request -> all deleted: {(last_item - wall0).total_seconds():.2f} s")
    print(f"  request -> done (revoked too): {t_done:.2f} s")
    print(f"  lower bound (latency, rate limit): {bound:.2f} s")
    print(f"  outcomes: {outcomes}; live posts left: {live}")
    print(f"  platform requests: {stats['requests']}, 429s: {stats['rate_limited']}")


if __name__ == "__main__":
    main()
