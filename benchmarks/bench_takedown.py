"""Benchmark a takedown under Mastodon's deletion limit: neutralised at once, deleted as the
limit allows.

Two scenarios, each against the sandbox in its realistic mode, one real ``postgate worker``
process running the takedown job, 50 ms added to every platform call:

1. 200 attacker posts on one Mastodon-like account;
2. 1,000 attacker posts over 10 accounts (100 each).

Mastodon allows 30 deletions per account per 30 minutes (``throttle_api_delete``) and 300
requests per 5 minutes in all. A run at that pace would take hours, so both limits are
**compressed by one factor** through the sandbox's settings (``--compress``; 100 for
``--full``: 30 deletions per 18 s, 300 requests per 3 s; 300 for the short run) and the
bound is scaled the same way: the figures are seconds of the compressed run, the bound
also in real time.

Figures, from the ``POST /api/v1/takedowns`` request:

- **invisible**: until no live status on any account shows attacker text (all neutralised:
  their text replaced by the holding text). Goal: 60 s, whatever the deletion limit.
- **deleted**: until the last post is deleted; and per account, from its first deletion to
  its last (the slowest account), against the bound the deletion limit sets:
  ``(ceil(posts per account / 30) - 1)`` windows after the first deletion (each window opens
  at the first deletion after the previous one closed, as the sandbox and Mastodon do).
  Goal: 1.1 x the bound. The time from the request to the first deletion (listing, evidence,
  neutralising) is shown apart.

    python benchmarks/bench_takedown.py         # short: 90 posts on 1, 600 over 10 (300x)
    python benchmarks/bench_takedown.py --full  # 200 on 1 account, 1,000 over 10 (100x)
        [--compress F] [--latency-ms 50] [--redis redis://127.0.0.1:6379/8]
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from postgate.runtime import Runtime  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Takedown, TakedownItem  # noqa: E402
from sandbox import client as sandbox  # noqa: E402
from sandbox.faults import RateLimit  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402
from sandbox.switches import Realism  # noqa: E402

DELETIONS, DELETION_WINDOW = 30, 30 * 60  # Mastodon's throttle_api_delete
REQUESTS, REQUEST_WINDOW = 300, 5 * 60  # Mastodon's general API limit
ATTACK = "BUY CRYPTO NOW"


@dataclass(frozen=True)
class Scenario:
    accounts: int
    posts: int  # in all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="200 on 1 account, 1,000 over 10")
    parser.add_argument("--only", type=int, choices=(1, 2), help="run only this scenario")
    parser.add_argument(
        "--compress", type=float, help="limit compression factor (default: 100 full, 300 short)"
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    )
    args = parser.parse_args()
    args.compress = args.compress or (100.0 if args.full else 300.0)
    scenarios = (
        [Scenario(1, 200), Scenario(10, 1000)]
        if args.full
        else [
            Scenario(1, 90),
            Scenario(10, 600),
        ]
    )
    if args.only:
        scenarios = scenarios[args.only - 1 : args.only]
    for scenario in scenarios:
        with tempfile.TemporaryDirectory(prefix="bench-takedown-") as tmp:
            run(args, scenario, Path(tmp))


def run(args: argparse.Namespace, scenario: Scenario, tmp: Path) -> None:
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
    window = DELETION_WINDOW / args.compress
    realism = Realism(deletion_limit=RateLimit(DELETIONS, window))
    with running_sandbox(tmp / "sandbox", realism=realism) as url:
        env["POSTGATE_SANDBOX_URL"] = url
        names = seed(rt, url, scenario)
        general = f"{REQUESTS}/{REQUEST_WINDOW / args.compress:g}"
        sandbox.set_faults(url, latency_ms=args.latency_ms, rate_limit=general)
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
            measure(rt, args, scenario, names, url, window, general)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=15)


def seed(rt: Runtime, url: str, scenario: Scenario) -> list[str]:
    from tests.helpers import make_account, sandbox_credentials

    names = [f"brand{i:02d}" for i in range(scenario.accounts)]
    for name in names:
        make_account(rt, name, base_url=url, credentials=sandbox_credentials(url, name))
    for n in range(scenario.posts):
        sandbox.post_direct(url, names[n % scenario.accounts], f"{ATTACK} {n}")
    return names


def visible(url: str, names: list[str]) -> int:
    return sum(ATTACK in p["text"] for n in names for p in sandbox.list_live(url, n))


def measure(
    rt: Runtime,
    args: argparse.Namespace,
    scenario: Scenario,
    names: list[str],
    url: str,
    window: float,
    general: str,
) -> None:
    from gateway import create_app
    from tests.helpers import Actors

    app = create_app({"TESTING": True}, settings=rt.settings)
    client = app.test_client()
    lead = Actors(rt, client).person("sam", "security")
    since = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    t0, wall0 = time.monotonic(), datetime.now(UTC)
    response = client.post(
        "/api/v1/takedowns", json={"since": since, "accounts": names}, headers=lead.headers
    )
    assert response.status_code == 202, response.get_json()
    takedown_id = response.get_json()["id"]
    t_invisible = None
    while True:  # a quarter-second poll: listing 1,000 statuses costs the sandbox CPU too
        if t_invisible is None and visible(url, names) == 0:
            t_invisible = time.monotonic() - t0
        with rt.store.session() as db:
            if db.get(Takedown, takedown_id).status != "running":
                break
        time.sleep(0.25)
    t_done = time.monotonic() - t0
    with rt.store.session() as db:
        spans = db.execute(
            select(func.min(TakedownItem.updated_at), func.max(TakedownItem.updated_at))
            .where(TakedownItem.outcome == "deleted")
            .group_by(TakedownItem.account_id)
        ).all()
        outcomes = dict(
            db.execute(
                select(TakedownItem.outcome, func.count()).group_by(TakedownItem.outcome)
            ).all()
        )
    per_account = math.ceil(scenario.posts / scenario.accounts)
    bound = (math.ceil(per_account / DELETIONS) - 1) * window
    first, last = min(f for f, _ in spans), max(la for _, la in spans)
    deleted = (last - wall0).total_seconds()
    after_first = max((la - f).total_seconds() for f, la in spans)  # the limit is per account
    real = args.compress
    print(f"takedown of {scenario.posts} posts on {scenario.accounts} account(s)")
    print(f"  limits compressed {real:g}x: {DELETIONS} deletions per {window:g} s (real")
    print(f"  {DELETION_WINDOW} s), {general} requests (real {REQUESTS}/{REQUEST_WINDOW});")
    print(f"  {args.latency_ms} ms per platform call")
    print(f"  request -> no attacker text visible: {t_invisible:.1f} s (goal 60 s)")
    print(f"  request -> first deletion: {(first - wall0).total_seconds():.1f} s")
    print(
        f"  first -> last deletion on an account (the slowest): {after_first:.1f} s;"
        f" bound {bound:.1f} s"
        f" ({after_first / bound if bound else 0:.2f}x; real bound {bound * real / 3600:.1f} h)"
    )
    print(f"  request -> all deleted: {deleted:.1f} s; -> done: {t_done:.1f} s")
    print(f"  outcomes: {outcomes}; attacker text still visible: {visible(url, names)}")


if __name__ == "__main__":
    main()
