"""Benchmark the paged lists on SQLite: 5,000 posts, each page timed through the Flask test
client (the whole request: token check, query, answer built and checked).

Lists walked, ``limit`` 50 each (100 pages for the reviewer's full list): all posts as a
reviewer, one author's posts, a status filter, an account filter with text search, the
review queue's query oldest first, and the audit log. Prints p50/p95/max per list, in ms.
The target is under 300 ms per page. The process's first request (one-time set-up of the
app, the store's connection and the API description) is timed apart, not counted.
The audit log holds ``--audit`` entries (1,000 by default: chaining them one by one is
the slow part of the set-up).

    python benchmarks/bench_lists.py [--posts 5000] [--limit 50] [--audit 1000]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway import create_app  # noqa: E402
from postgate.audit import Event  # noqa: E402
from postgate.runtime import Runtime  # noqa: E402
from postgate.services.sessions import create_api_token  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.services.users import create_user  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Account, User  # noqa: E402
from tests.post_rows import add_posts  # noqa: E402

LISTS = {
    "all posts (reviewer)": ("reviewer", "/api/v1/posts?limit={limit}"),
    "own posts (author)": ("author0", "/api/v1/posts?limit={limit}"),
    "status=scheduled": ("reviewer", "/api/v1/posts?limit={limit}&status=scheduled"),
    "account+text": ("reviewer", "/api/v1/posts?limit={limit}&account=acct1&q=number%201"),
    "review queue": ("reviewer", "/api/v1/posts?limit={limit}&status=pending_review&sort=oldest"),
    "audit log": ("lead", "/api/v1/audit?limit={limit}&sort=newest"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(rt: Runtime, posts: int, entries: int) -> dict[str, str]:
    tokens = {}
    with rt.store.transaction() as db:
        for name, roles in [
            *((f"author{i}", ["author"]) for i in range(10)),
            ("reviewer", ["reviewer"]),
            ("lead", ["security"]),
        ]:
            create_user(rt, db, name, roles, password="correct horse battery", actor="bench")
        for i in range(5):
            db.add(
                Account(
                    name=f"acct{i}",
                    platform="sandbox",
                    base_url="http://127.0.0.1:1",
                    credentials_enc=rt.vault.encrypt_json({"token": "t"}),
                    timezone="UTC",
                    windows=[],
                    blackout_dates=[],
                )
            )
        for i in range(entries):
            rt.audit(db, Event.POST_CANCEL, actor="bench", target=f"post:{i}")
    authors = [f"author{i}" for i in range(10)]
    add_posts(rt, posts, authors=authors, accounts=[f"acct{i}" for i in range(5)])
    with rt.store.transaction() as db:
        for user in db.query(User).all():
            tokens[user.username] = create_api_token(rt, db, user, "bench").value
    return tokens


def walk(client, token: str, url: str) -> list[float]:
    times, cursor = [], None
    while True:
        started = time.perf_counter()
        answer = client.get(
            url + (f"&cursor={cursor}" if cursor else ""),
            headers={"Authorization": f"Bearer {token}"},
        )
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.get_json()
        cursor = answer.get_json()["next"]
        if cursor is None:
            return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--audit", type=int, default=1000, help="audit entries (slow to chain)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    port = free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        env = {
            "POSTGATE_INSTANCE": str(folder / "instance"),
            "POSTGATE_CONFIG": str(ROOT / "config" / "postgate.toml"),
            "POSTGATE_DATABASE_URL": f"sqlite:///{folder / 'postgate.db'}",
            "POSTGATE_REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "POSTGATE_SANDBOX_URL": "http://127.0.0.1:1",
        }
        time.sleep(0.3)
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        started = time.perf_counter()
        tokens = seed(rt, args.posts, args.audit)
        took = time.perf_counter() - started
        print(f"seeded {args.posts} posts, {args.audit} audit entries in {took:.1f} s")
        client = create_app({"TESTING": True}, settings=rt.settings).test_client()
        started = time.perf_counter()
        walk(client, tokens["reviewer"], "/api/v1/posts?limit=1&status=failed")
        took = (time.perf_counter() - started) * 1000
        print(f"first request of the process (one-time set-up, not counted): {took:.0f} ms")
        print(f"{'list':24} {'pages':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, (who, url) in LISTS.items():
            times = walk(client, tokens[who], url.format(limit=args.limit))
            ordered = sorted(times)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            print(
                f"{name:24} {len(times):>5} {statistics.median(times):>8.1f} {p95:>8.1f} "
                f"{ordered[-1]:>8.1f}"
            )
    finally:
        redis.terminate()
        redis.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
