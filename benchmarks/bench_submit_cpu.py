"""CPU of one API submission (``POST /api/v1/posts``), in process, on PostgreSQL (issue 16).

    python benchmarks/bench_submit_cpu.py [--posts 300] [--repeat 3] [--reviewers 0]
        [--profile FILE] [--database-url URL]

Each repetition submits ``--posts`` posts through Flask's test client, one thread, and prints
the process's CPU time per submission (``time.process_time()``: Python and the driver, not
PostgreSQL's), the PostgreSQL backend's CPU per submission (read from ``/proc`` when the
server runs on this machine), SQL statements per submission, and how long each transaction
held the audit chain's tip (from the statement that takes it to the end of the COMMIT:
every writer of every process waits meanwhile). The first submissions of
the process (one-time set-up) are not counted. ``--profile FILE`` writes a cProfile of one
more repetition, on the CPU clock, for ``python -m pstats``.

The store is a schema of its own, dropped afterwards; Redis is a private ``redis-server``.
To compare two versions, run the script of each checkout in turn (``git archive`` one into
a temporary folder: the script imports the code beside it), several times, interleaved: the
machine is shared and noisy, so compare medians.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_campaign import DEFAULT_DATABASE, private_runtime  # noqa: E402
from cpu_window import CpuWindow  # noqa: E402
from flask import Flask  # noqa: E402
from scenes import _pw  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from gateway import create_app  # noqa: E402
from postgate.runtime import Runtime  # noqa: E402
from postgate.services.sessions import create_api_token  # noqa: E402
from postgate.services.users import create_user  # noqa: E402
from postgate.store.models import Account  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reviewers", type=int, default=0, help="reviewers to notify")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with private_runtime(args.database_url, "bench-submit-") as rt:
        run(rt, args)


def run(rt: Runtime, args: argparse.Namespace) -> None:
    token = seed(rt, args.reviewers)
    app = create_app({"TESTING": True}, settings=rt.settings)
    client = app.test_client()
    statements = count_statements(app)
    holds = chain_lock_holds(app)
    backend = backend_pid(app)
    counter = iter(range(10**9))

    def submit() -> None:
        answer = client.post(
            "/api/v1/posts",
            json={
                "account": "bench-000",
                "text": f"Offre {next(counter)} : livraison offerte ce week-end.",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.get_json()

    for _ in range(20):  # the process's first requests: routes, API description, pool
        submit()
    print(
        f"{args.posts} submissions a repetition, {args.reviewers} reviewers, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'python ms':>10} {'postgres ms':>12} {'statements':>11} {'wall ms':>9} "
        f"{'lock p50':>9} {'lock p90':>9}  host"
    )
    rows = []
    for _ in range(args.repeat):
        holds.clear()
        before = (time.process_time(), backend_cpu(backend), statements(), time.perf_counter())
        with CpuWindow() as window:
            for _ in range(args.posts):
                submit()
        after = (time.process_time(), backend_cpu(backend), statements(), time.perf_counter())
        row = [(b - a) / args.posts for a, b in zip(before, after, strict=True)]
        row[0] *= 1000
        row[1] *= 1000
        row[3] *= 1000
        deciles = statistics.quantiles(holds, n=10)
        row += [deciles[4] * 1000, deciles[8] * 1000]
        rows.append(row)
        print(
            f"{row[0]:>10.2f} {row[1]:>12.2f} {row[2]:>11.1f} {row[3]:>9.2f} "
            f"{row[4]:>9.2f} {row[5]:>9.2f}  {window.describe()}"
        )
    medians = [statistics.median(column) for column in zip(*rows, strict=True)]
    print(
        f"median: {medians[0]:.2f} ms Python CPU, {medians[1]:.2f} ms PostgreSQL CPU, "
        f"{medians[2]:.1f} statements, {medians[3]:.2f} ms wall per submission; "
        f"the audit chain's tip held {medians[4]:.2f} ms (p90 {medians[5]:.2f} ms)"
    )
    if args.profile is not None:
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(lambda: [submit() for _ in range(args.posts)])
        profiler.dump_stats(args.profile)
        print(f"profile of {args.posts} more submissions: {args.profile}")


def seed(rt: Runtime, reviewers: int) -> str:
    """A sandbox account, an author (whose API token is returned) and ``reviewers``."""
    with rt.store.transaction() as db:
        db.add(
            Account(
                name="bench-000",
                platform="sandbox",
                base_url="http://127.0.0.1:1",
                credentials_enc=rt.vault.encrypt_json({"token": "t"}),
                windows=[],
                blackout_dates=[],
            )
        )
        author = create_user(rt, db, "bench-author", ["author"], password=_pw(), actor="bench")
        for i in range(reviewers):
            create_user(rt, db, f"bench-rev{i}", ["reviewer"], password=_pw(), actor="bench")
        return create_api_token(rt, db, author.user, "bench").value


def count_statements(app: Flask) -> Callable[[], int]:
    """A reader of how many statements the app's store has sent so far."""
    sent = [0]

    def note(*_: object) -> None:
        sent[0] += 1

    with app.app_context():
        from gateway.context import rt

        event.listen(rt().store.engine, "before_cursor_execute", note)
    return lambda: sent[0]


def chain_lock_holds(app: Flask) -> list[float]:
    """Seconds each transaction held the audit chain's tip: from the statement that takes it
    to the end of its COMMIT (appended as they happen; the caller clears it)."""
    holds: list[float] = []
    taken: list[float] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE audit_head SET seq="):
            taken.append(time.perf_counter())

    def committed(_session: Session) -> None:
        if taken:
            holds.append(time.perf_counter() - taken.pop())

    with app.app_context():
        from gateway.context import rt

        event.listen(rt().store.engine, "before_cursor_execute", note)
    event.listen(Session, "after_commit", committed)
    return holds


def backend_pid(app: Flask) -> int | None:
    """The PostgreSQL backend of the app's one pooled connection (one thread uses one)."""
    with app.app_context():
        from gateway.context import rt

        with rt().store.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def backend_cpu(pid: int | None) -> float:
    """Seconds of CPU the backend process has used (0 when it is not on this machine)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


if __name__ == "__main__":
    main()
