"""What the hot reads of one account cost as its history grows (PostgreSQL): the reads that
run for every submission, every poll of the watch and every takedown, which must follow
the posts concerned, never every post the account ever published.

- **quota**: a submission's posting-quota read (``postgate.services.quotas``; Mastodon's
  300 posts in 5 minutes among others), made while ``POST /posts`` holds the audit chain's
  lock;
- **watch**: one poll's judgement of the 40 newest posts the platform lists
  (``watch.judge_post`` for each, then ``watch.published_among``);
- **takedown**: the takedown preview's read of the account's posts, listed or published
  in the last hour (``takedown_preview``'s query).

    python benchmarks/bench_history.py [--history 0,2000,20000,100000] [--repeat 100]
        [--database-url URL]

For each size, the account gets that many published posts (one every five minutes back
from now, each with its platform id, written straight into the store by
``tests.post_rows.add_posts``), the table is
analysed, and each read is timed ``--repeat`` times; prints the medians. The store is a
schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_campaign import DEFAULT_DATABASE, private_runtime  # noqa: E402
from scenes import _pw  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from postgate.platforms.base import RemotePost  # noqa: E402
from postgate.runtime import Runtime  # noqa: E402
from postgate.services import quotas, takedown_preview, watch  # noqa: E402
from postgate.services.takedown_scope import Scope  # noqa: E402
from postgate.services.users import create_user  # noqa: E402
from postgate.states import PostStatus  # noqa: E402
from postgate.store.models import Account  # noqa: E402
from postgate.store.types import utcnow  # noqa: E402
from tests.helpers import make_account  # noqa: E402
from tests.post_rows import add_posts, analyze_posts  # noqa: E402

AUTHOR, ACCOUNT = "bench-author", "bench-masto"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history", default="0,2000,20000,100000")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.history.split(","))
    with private_runtime(args.database_url, "bench-history-") as rt:
        run(rt, sizes, args.repeat)


def run(rt: Runtime, sizes: list[int], repeat: int) -> None:
    account_id = seed(rt)
    now, written = utcnow(), 0
    print(f"one Mastodon account's hot reads, median of {repeat}, PostgreSQL (ms)")
    print(f"{'published posts':>16} {'quota':>8} {'watch':>8} {'takedown':>9}")
    for size in sizes:
        add_posts(
            rt,
            size - written,
            authors=[AUTHOR],
            accounts=[ACCOUNT],
            start=now - timedelta(minutes=10 + 5 * written),
            step=-timedelta(minutes=5),
            statuses=(PostStatus.PUBLISHED,),
            number_from=written,
            went_out=True,
        )
        analyze_posts(rt)
        written = size
        listed = [
            RemotePost(
                remote_id=f"remote-{i}",
                text=f"post number {i}",
                created_at=now - timedelta(minutes=10 + 5 * i),
                url=None,
            )
            for i in range(40)
        ]
        with rt.store.session() as db:
            account = db.get(Account, account_id)
            assert account is not None
            reads = hot_reads(db, account, listed, now)
            medians = [_median_ms(read, repeat) for read in reads.values()]
        print(f"{size:>16} {medians[0]:>8.3f} {medians[1]:>8.3f} {medians[2]:>9.3f}")


def hot_reads(
    db: Session, account: Account, listed: list[RemotePost], now: datetime
) -> dict[str, Callable[[], object]]:
    """Each read as the code makes it, for ``account`` whose platform lists ``listed``."""
    return {
        "quota": lambda: quotas.quota_warning(db, account, now + timedelta(hours=1)),
        "watch": lambda: (
            [watch.judge_post(db, account, remote) for remote in listed],
            watch.published_among(db, account, {r.remote_id for r in listed}),
        ),
        "takedown": lambda: takedown_preview._account_items(
            db, account, listed, set(), now - timedelta(hours=1), Scope()
        ),
    }


def _median_ms(read: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def seed(rt: Runtime) -> int:
    """The author of the posts and the Mastodon account they are on; the account's id."""
    with rt.store.transaction() as db:
        create_user(rt, db, AUTHOR, ["author"], password=_pw(), actor="bench")
    return make_account(
        rt, ACCOUNT, platform="mastodon", base_url="https://mastodon.example", token="t"
    )


if __name__ == "__main__":
    main()
