"""Publishing at campaign scale (issue 16), on PostgreSQL: three measurements.

- ``campaign``: many posts due within the same minute across many accounts (a campaign
  launch): time until the last is published, lateness p50/p99, duplicates and lost posts.
- ``steady``: one post a second: lateness p50/p99 under a light, even load.
- ``api``: ``POST /api/v1/posts`` (rules and all) under ``postgate serve`` (gunicorn) by
  concurrent clients, against a bare endpoint of the same server (a static file): requests
  a second, p50, p99 and the ratio between the two.

Short runs by default (each well under two minutes); the issue's full figures:

    python benchmarks/bench_campaign.py campaign --posts 2000 --window 60 --accounts 50
    python benchmarks/bench_campaign.py steady --seconds 600
    python benchmarks/bench_campaign.py api --seconds 60 --clients 20
    python benchmarks/bench_campaign.py api --seconds 60 --rate 200

(``--clients``: closed loop, the capacity; ``--rate``: the rate offered, open loop, and the
latency a client sees at that rate, which is what "200/s with p99 < 100 ms" asks.)

and the issue's 10,000 posts over 10 minutes (16.7 a second), or a minute of it:

    python benchmarks/bench_campaign.py campaign --posts 10000 --window 600 --accounts 50
    python benchmarks/bench_campaign.py campaign --posts 1000 --window 60 --accounts 50

The store is a schema of its own in ``--database-url`` (default: the ``test`` database on
127.0.0.1:5432), dropped afterwards; Redis database 9 of ``--redis-url`` is flushed (on a
shared machine, give it a Redis of its own: others flush the shared one). It measures only:
nothing in the pipeline is tuned for it. ``--worker-class`` and ``--lookahead`` set
``[workers] class`` and ``[publishing] lookahead_seconds`` to compare them; ``--profile DIR``
samples the workers (or, for ``api``, the web server during the submissions) with py-spy
(``pip install py-spy``; ``BENCH_PROFILE_IDLE=1`` for wall time, lock waits included), and
``benchmarks/profile_top.py DIR/*.txt`` prints where the time went.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_publish as bench  # noqa: E402
import httpx  # noqa: E402
from cpu_window import CpuWindow  # noqa: E402
from open_loop import open_loop  # noqa: E402
from redis import Redis  # noqa: E402
from scenes import (  # noqa: E402
    _pw,
    bench_env,
    make_accounts,
    make_people,
    make_posts,
    private_redis,
)
from sqlalchemy import create_engine, select, text  # noqa: E402

from postgate import otp, queue  # noqa: E402
from postgate.runtime import Runtime  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.services.users import create_user  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Post  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    args = parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="pg-campaign-") as tmp,
        running_sandbox(Path(tmp) / "sandbox.db") as sandbox_url,
        private_schema(args.database_url) as database_url,
    ):
        publishing = {"reconcile_seconds": 30, "lookahead_seconds": args.lookahead}
        env = bench_env(Path(tmp), args.redis_url, sandbox_url, database_url, publishing)
        env["POSTGATE_WORKER_CLASS"] = args.worker_class
        os.environ.update(env)
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        redis = Redis.from_url(args.redis_url)
        redis.flushdb()
        try:
            if args.scenario == "api":
                run_api(rt, env, sandbox_url, Path(tmp), args)
            else:
                run_publishing(rt, env, sandbox_url, Path(tmp), args)
        finally:
            redis.flushdb()
            rt.store.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=["campaign", "steady", "api"])
    parser.add_argument("--posts", type=int, default=400, help="campaign: posts (full: 2000)")
    parser.add_argument("--window", type=float, default=20, help="campaign: seconds they fall in")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--seconds", type=float, default=None, help="steady (60) and api (15): duration"
    )
    parser.add_argument("--clients", type=int, default=20, help="api: concurrent clients")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="api: offer this many requests a second instead (open loop, latency from due)",
    )
    parser.add_argument(
        "--warmup", type=float, default=5, help="api --rate: seconds at the rate not measured"
    )
    processes, threads = compose_web_shape()
    parser.add_argument(
        "--processes", type=int, default=processes, help="api: gunicorn processes (compose's)"
    )
    parser.add_argument(
        "--threads", type=int, default=threads, help="api: threads per process (compose's)"
    )
    parser.add_argument(
        "--generator",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="api: the load generator (wrk, apt-get install wrk, spends far less CPU)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument(
        "--worker-class",
        choices=["fork", "simple", "spawn"],
        default="simple",
        help="[workers] class",
    )
    parser.add_argument(
        "--lookahead", type=int, default=1, help="[publishing] lookahead_seconds (0: none)"
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the workers (or web) into this folder"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 15 if args.scenario == "api" else 60
    return args


def compose_web_shape() -> tuple[int, int]:
    """The web service's processes and threads as ``compose.yaml`` runs it (2 x 8 when the
    file says nothing), so ``api`` measures what the compose web service serves."""
    compose = ROOT / "compose.yaml"
    text_ = compose.read_text() if compose.exists() else ""
    found = [re.search(rf'"--{name}", "(\d+)"', text_) for name in ("processes", "threads")]
    return tuple(int(m.group(1)) if m else d for m, d in zip(found, (2, 8), strict=True))  # type: ignore[return-value]


@contextmanager
def private_schema(url: str) -> Iterator[str]:
    """A schema of the benchmark's own in the PostgreSQL database at ``url``."""
    schema = f"pgbench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@contextmanager
def private_runtime(database_url: str, prefix: str) -> Iterator[Runtime]:
    """A runtime on a new store in a schema of its own (dropped afterwards) and a private
    Redis, with the environment set for it: the in-process benchmarks' set-up."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as tmp,
        private_redis(Path(tmp)) as redis_url,
        private_schema(database_url) as url,
    ):
        env = bench_env(Path(tmp), redis_url, "http://127.0.0.1:1", url, {})
        os.environ.update(env)
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        try:
            yield rt
        finally:
            rt.store.dispose()


def run_publishing(rt: Runtime, env: dict[str, str], sandbox_url: str, tmp: Path, args) -> None:
    accounts = make_accounts(rt, sandbox_url, (f"bench-{n:03d}" for n in range(args.accounts)))
    if args.scenario == "campaign":
        count, span = args.posts, args.window
    else:
        count, span = int(args.seconds), args.seconds
    procs = bench.start_workers(env, args.workers, tmp)  # warm before anything is due
    profilers: list[subprocess.Popen[bytes]] = []
    try:
        wait_for_workers(rt, args.workers)
        profilers = [profile(proc.pid, args.profile, f"worker-{n}") for n, proc in enumerate(procs)]
        start = datetime.now(UTC) + timedelta(seconds=5 + count / 200)
        posts = make_posts(rt, make_people(rt), bench.spread(accounts, count, start, span / 60))
        for post_id, when in posts:
            queue.enqueue_publish(rt, post_id, 1, when)
        bench.wait_settled(rt, len(posts), span + 300)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        for profiler in profilers:
            if profiler is not None:
                profiler.wait(timeout=60)
    lateness, duplicates, lost, last = publishing_figures(rt, sandbox_url, accounts)
    what = (
        f"campaign: {count} posts due within {span:.0f} s"
        if args.scenario == "campaign"
        else f"steady: 1 post/s for {span:.0f} s"
    )
    print(
        f"{what}, {args.accounts} accounts, {args.workers} workers ({args.worker_class}), "
        f"look-ahead {args.lookahead} s, PostgreSQL"
    )
    print(
        f"lateness p50 {percentile(lateness, 50):.3f} s, p99 {percentile(lateness, 99):.3f} s, "
        f"max {max(lateness):.3f} s; duplicates {duplicates}, lost {lost}"
    )
    first_due = min(when for _, when in posts)
    print(f"last published {(last - first_due).total_seconds():.1f} s after the first was due")


def profile(pid: int, folder: Path | None, name: str) -> subprocess.Popen[bytes] | None:
    """py-spy sampling process ``pid`` and its children (work horses, gunicorn workers) until
    it ends, into ``folder/name.txt`` (collapsed stacks: ``benchmarks/profile_top.py`` reads
    them); nothing without ``--profile``."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    command = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--format", "raw"]
    command += ["--rate", "200", "--nonblocking", "--output", str(folder / f"{name}.txt")]
    if os.environ.get("BENCH_PROFILE_IDLE"):  # wall time: waits for locks and I/O too
        command.append("--idle")
    if os.environ.get("BENCH_PROFILE_GIL"):  # the interpreter's own CPU: GIL holders only
        command.append("--gil")
    py_spy = Path(sys.executable).with_name("py-spy")
    command[0] = str(py_spy) if py_spy.exists() else "py-spy"
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_workers(rt: Runtime, count: int) -> None:
    from rq import Worker

    deadline = time.monotonic() + 120
    while len(Worker.all(connection=rt.redis)) < count:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.5)


def publishing_figures(rt: Runtime, sandbox_url: str, accounts) -> tuple:
    with rt.store.session() as db:
        rows = db.execute(select(Post.text, Post.scheduled_at)).all()
    live, created = bench.live_posts(sandbox_url, accounts)
    lateness = sorted(
        (created[r.text] - r.scheduled_at).total_seconds() for r in rows if r.text in created
    )
    duplicates = sum(n - 1 for n in live.values() if n > 1)
    lost = sum(1 for r in rows if live[r.text] == 0)
    return lateness, duplicates, lost, max(created.values())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def run_api(rt: Runtime, env: dict[str, str], sandbox_url: str, tmp: Path, args) -> None:
    make_accounts(rt, sandbox_url, ["bench-000"])
    password = _pw()
    with rt.store.transaction() as db:
        author = create_user(rt, db, "bench-api", ["author"], password=password, actor="bench")
    port = free_port()
    log = open(tmp / "web.log", "wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "postgate", "serve", "--port", str(port), *server_options(args)],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    profiler = None
    try:
        wait_healthy(base, web, tmp / "web.log")
        login = {
            "username": "bench-api",
            "password": password,
            "otp": otp.code_at(author.totp_secret, otp.current_step()),
        }
        signed_in = httpx.post(f"{base}/api/v1/session", json=login)
        if signed_in.status_code != 201:
            raise SystemExit(f"login failed: {signed_in.text}")
        token = signed_in.json()["token"]
        body = '{"account": "bench-000", "text": "Offre %d : livraison offerte ce week-end."}'
        bare_url, submit_url = f"{base}/static/app.css", f"{base}/api/v1/posts"
        if args.rate:
            profiler = profile(web.pid, args.profile, "web")
            run_api_at_rate(bare_url, submit_url, body, token, args)
            return
        measure = wrk_load if args.generator == "wrk" else python_load
        results = {"bare endpoint (static file)": measure(bare_url, None, None, args)}
        profiler = profile(web.pid, args.profile, "web")  # the submissions only
        results["POST /api/v1/posts"] = measure(submit_url, body, token, args)
        print(
            f"api: {args.clients} clients ({args.generator}), {args.seconds:.0f} s each, "
            f"gunicorn {args.processes} processes x {args.threads} threads, PostgreSQL, "
            f"load average before {os.getloadavg()[0]:.1f}"
        )
        for name, (rate, p50, p99, statuses) in results.items():
            timing = f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
            print(f"{name}: {rate:.0f}/s, {timing}, {statuses}")
        rates = [rate for rate, *_ in results.values()]
        print(f"overhead: the bare endpoint serves {rates[0] / rates[1]:.1f}x as many requests")
    finally:
        web.terminate()
        web.wait(timeout=30)
        if profiler is not None:
            profiler.wait(timeout=60)


def run_api_at_rate(bare_url: str, submit_url: str, body: str, token: str, args) -> None:
    """``--rate``: the bare endpoint, then the submissions, each offered at that rate (open
    loop, ``benchmarks/open_loop.py``): latency from the moment each request was due."""
    print(
        f"api: open loop at {args.rate:.0f}/s, {args.seconds:.0f} s each, gunicorn "
        f"{args.processes} processes x {args.threads} threads, PostgreSQL, "
        f"load average before {os.getloadavg()[0]:.1f}"
    )
    bodies = {
        "bare endpoint (static file)": None,
        "POST /api/v1/posts": lambda i: body.replace("%d", str(i)).encode(),
    }
    medians = []
    for name, make_body in bodies.items():
        token_ = token if make_body else None
        # Not measured: every process and thread of the server warms up (its connections to
        # PostgreSQL, compiled statements, the rules), as a server running for a while has.
        open_loop(
            submit_url if make_body else bare_url,
            rate=args.rate,
            seconds=args.warmup,
            body=make_body,
            token=token_,
        )
        with CpuWindow() as window:
            got = open_loop(
                submit_url if make_body else bare_url,
                rate=args.rate,
                seconds=args.seconds,
                body=make_body,
                token=token_,
            )
        medians.append(got.p50)
        print(
            f"{name}: offered {got.offered:.0f}/s, answered {got.answered:.0f}/s, "
            f"p50 {got.p50 * 1000:.1f} ms, p99 {got.p99 * 1000:.1f} ms, "
            f"worst {got.worst * 1000:.0f} ms, {got.statuses}; {window.describe()}"
        )
    print(f"overhead: a submission's median latency is {medians[1] / medians[0]:.1f}x the bare one")


def server_options(args: argparse.Namespace) -> list[str]:
    return ["--processes", str(args.processes), "--threads", str(args.threads)]


Figures = tuple[float, float, float, dict[int, int]]


def wrk_load(url: str, body: str | None, token: str | None, args) -> Figures:
    """``args.clients`` connections of wrk (two threads) for ``args.seconds``: requests a
    second, p50, p99 and answers by status (``benchmarks/api_load.lua``)."""
    env = {**os.environ, "BENCH_BODY": body or "", "BENCH_TOKEN": token or ""}
    if not body:
        env.pop("BENCH_BODY")
    command = ["wrk", "-t", "2", "-c", str(args.clients), "-d", f"{args.seconds:.0f}s"]
    command += ["--timeout", "30s", "-s", str(ROOT / "benchmarks" / "api_load.lua"), url]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result = re.search(r"RESULT requests (\d+) duration_us (\d+) p50_us (\d+) p99_us (\d+)", out)
    if result is None:
        raise SystemExit(f"wrk said: {out}")
    requests, duration, p50, p99 = (int(v) for v in result.groups())
    statuses: Counter[int] = Counter()
    for status, count in re.findall(r"STATUS (\d+) (\d+)", out):
        statuses[int(status)] += int(count)
    return requests / (duration / 1e6), p50 / 1e6, p99 / 1e6, dict(statuses)


def python_load(url: str, body: str | None, token: str | None, args) -> Figures:
    """The same with ``args.clients`` Python threads (httpx), where wrk is not installed;
    they spend a good part of a small machine's CPU themselves."""
    counter = iter(range(10**9))
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(client: httpx.Client) -> int:
        if body is None:
            return client.get(url).status_code
        content = body.replace("%d", str(next(counter)))
        headers_ = {**headers, "Content-Type": "application/json"}
        return client.post(url, content=content, headers=headers_).status_code

    return load(call, args.clients, args.seconds)


def load(call, clients: int, seconds: float) -> Figures:
    """``clients`` threads calling ``call`` in a loop for ``seconds``: rate, p50, p99."""
    durations: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < deadline:
                began = time.monotonic()
                status = call(client)
                with lock:
                    durations.append(time.monotonic() - began)
                    statuses[status] += 1

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (
        len(durations) / seconds,
        statistics.median(durations),
        percentile(durations, 99),
        dict(statuses),
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base: str, web: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and web.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace").splitlines()[-15:]
    raise SystemExit("the web app did not start:\n" + "\n".join(tail))


if __name__ == "__main__":
    main()
