"""How long a submission's posting-quota read takes as an account's history grows
(PostgreSQL): ``postgate.services.quotas`` reads the account's posts around the new post's
time for every submission to a platform with a quota (Mastodon's 300 in 5 minutes among
them), while ``POST /posts`` holds the audit chain's lock.

    python benchmarks/bench_quota.py [--history 0,2000,20000,100000] [--repeat 200]
        [--database-url URL]

For each size, the account gets that many published posts (one every five minutes back
from now, written straight into the store), the table is analysed, and the warning is
computed ``--repeat`` times for a post an hour ahead; prints the median. The store is a
schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_campaign import DEFAULT_DATABASE, private_runtime  # noqa: E402
from scenes import _pw  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from postgate.runtime import Runtime  # noqa: E402
from postgate.services import quotas  # noqa: E402
from postgate.services.users import create_user  # noqa: E402
from postgate.states import PostStatus  # noqa: E402
from postgate.store.models import Account, Post, User  # noqa: E402
from postgate.store.types import utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history", default="0,2000,20000,100000")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.history.split(","))
    with private_runtime(args.database_url, "bench-quota-") as rt:
        run(rt, sizes, args.repeat)


def run(rt: Runtime, sizes: list[int], repeat: int) -> None:
    account_id, author_id = seed(rt)
    now, written = utcnow(), 0
    print(f"a Mastodon account's posting quota read, {repeat} times each, PostgreSQL")
    for size in sizes:
        add_published(rt, account_id, author_id, now, written, size)
        written = size
        with rt.store.session() as db:
            account = db.get(Account, account_id)
            assert account is not None
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                quotas.quota_warning(db, account, now + timedelta(hours=1))
                times.append(time.perf_counter() - started)
        median = statistics.median(times) * 1000
        print(f"{size:>8} published posts: median {median:.3f} ms")


def seed(rt: Runtime) -> tuple[int, int]:
    with rt.store.transaction() as db:
        create_user(rt, db, "bench-author", ["author"], password=_pw(), actor="bench")
        account = Account(
            name="bench-masto",
            platform="mastodon",
            base_url="https://mastodon.example",
            credentials_enc=rt.vault.encrypt_json({"token": "t"}),
            windows=[],
            blackout_dates=[],
        )
        db.add(account)
        db.flush()
        author = db.scalar(select(User.id).where(User.username == "bench-author"))
        assert author is not None
        return account.id, author


def add_published(rt: Runtime, account_id: int, author_id: int, now, start: int, end: int):
    """Posts ``start`` to ``end``, published one every five minutes back from ``now``."""
    rows = []
    for i in range(start, end):
        at = now - timedelta(minutes=10 + 5 * i)
        rows.append(
            {
                "account_id": account_id,
                "author_id": author_id,
                "text": f"published {i}",
                "status": PostStatus.PUBLISHED,
                "content_hash": f"{i:064x}",
                "links": [],
                "media": [],
                "findings": [],
                "published_at": at,
                "created_at": at,
                "updated_at": at,
            }
        )
    with rt.store.transaction() as db:
        for first in range(0, len(rows), 5000):
            db.execute(insert(Post), rows[first : first + 5000])
    with rt.store.engine.connect() as connection:
        connection.execute(text("ANALYZE posts"))
        connection.commit()


if __name__ == "__main__":
    main()
