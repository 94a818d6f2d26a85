"""Benchmark the watch: how fast an attacker's post is alerted, and that Postgate's own posts
never are.

Against the sandbox (in this process, on loopback), with a private redis-server and a SQLite
store in a temporary folder:

- **detection delay by stream**: the account's user stream is watched (``StreamWatch``) and
  the attacker posts ``--attacks`` times, one every ``--gap-ms``; the delay is from the
  moment the attacker's request is sent to the moment the alert's row is committed (seen
  by a reader of the store polling every 2 ms);
- **detection delay by polling**: the same, read by ``read_account`` every
  ``--poll-seconds`` (what the ``watch_account`` job does), without a stream;
- **false alarms**: ``--postgate-posts`` posts with mentions, links, hashtags, emoji and
  HTML-escaped characters go through Postgate's real path (submitted and approved through the
  API, published by the publish job) while the stream is watched and a reading follows: the
  alerts counted must be 0. The stream sees most posts before their worker stored the
  platform's answer, which is the race the watch must survive.

- **to the notification**: each alert is also routed to the security channel
  (``POSTGATE_NOTIFY_URLS``, here an Apprise ``json://`` webhook on loopback) and delivered by
  a real ``postgate worker`` process (its own watch turned off: this process watches); the
  delay runs from the attacker's request to the webhook's arrival.

    python benchmarks/bench_watch.py [--attacks 100] [--postgate-posts 300]
        [--poll-seconds 2] [--gap-ms 1000] [--quick]

Attacker posts come one a second by default, so each delay is one alert's, not a queue's
(``--gap-ms 50`` shows a burst: the notifications then wait their turn at the worker). The
default run takes about five minutes, ``--quick`` one and a half; the false-alarm figure in
docs/crisis.md comes from ``--postgate-posts 2000`` (each Postgate post is submitted,
approved and published through the real path, about a fifth of a second each on a 2-core
machine).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from postgate.runtime import Runtime  # noqa: E402
from postgate.services.credentials import connector_for_account  # noqa: E402
from postgate.services.setup import init_store  # noqa: E402
from postgate.settings import load_settings  # noqa: E402
from postgate.store.models import Account, WatchAlert  # noqa: E402
from sandbox import client as sandbox  # noqa: E402
from sandbox.server import running_sandbox  # noqa: E402
from workers.watch import StreamWatch, read_account  # noqa: E402

WORDS = ("Lancement", "Promo", "Hiver", "BonneAnnée", "Café", "Été", "Nouveauté", "Merci")
EMOJI = ("🎉", "🚀", "👋", "❤️", "😀", "🇫🇷", "👩‍💻", "☕")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attacks", type=int, default=100)
    parser.add_argument("--postgate-posts", type=int, default=300)
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--gap-ms", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="20 attacks, 100 Postgate posts")
    args = parser.parse_args()
    if args.quick:
        args.attacks, args.postgate_posts = 20, 100
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp, private_redis() as redis_url:
        run(args, Path(tmp), redis_url)


class private_redis:
    def __enter__(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.3)
        return f"redis://127.0.0.1:{port}/0"

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


CONFIG = """
[security]
allow_private_urls = ["127.0.0.1"]

[watch]
enabled = false  # the worker delivers the notifications; this process watches
"""


def run(args: argparse.Namespace, tmp: Path, redis_url: str) -> None:
    from tests.helpers import make_account, sandbox_credentials
    from tests.notify.receivers import WebhookReceiver

    (tmp / "postgate.toml").write_text(CONFIG)
    env = {
        "POSTGATE_INSTANCE": str(tmp / "instance"),
        "POSTGATE_CONFIG": str(tmp / "postgate.toml"),
        "POSTGATE_DATABASE_URL": f"sqlite:///{tmp / 'postgate.db'}",
        "POSTGATE_REDIS_URL": redis_url,
        "POSTGATE_REDIS_PREFIX": "bench:",
    }
    with running_sandbox(tmp / "sandbox.db") as url, WebhookReceiver() as hook:
        env["POSTGATE_NOTIFY_URLS"] = hook.url("security")
        arrivals = arrival_times(hook)
        env["POSTGATE_SANDBOX_URL"] = url
        rt = Runtime(load_settings(env=env))
        init_store(rt)
        # Profiles read once; the reviewer's code stays fresh for the whole run.
        rt.settings = rt.settings.with_overrides(watch_poll_seconds=3600, step_up_seconds=86400)
        sandbox.set_streaming(url, heartbeat_seconds=1)
        ids = {
            name: make_account(rt, name, base_url=url, credentials=sandbox_credentials(url, name))
            for name in ("streamed", "polled", "ours")
        }
        print(
            f"watch benchmark: {args.attacks} attacker posts each way, "
            f"{args.postgate_posts} Postgate posts"
        )
        worker = start_worker(env, tmp)
        try:
            streamed = by_stream(rt, url, ids["streamed"], args, arrivals)
            report("by stream", streamed)
            polled = by_polling(rt, url, ids["polled"], args, arrivals)
            report(f"by polling every {args.poll_seconds:g} s", polled)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        false_alarms(rt, url, ids["ours"], args)


def start_worker(env: dict[str, str], tmp: Path) -> subprocess.Popen[bytes]:
    """A real worker: it delivers the notifications the alerts' transactions wrote."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "postgate", "worker"],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=(tmp / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(4)  # its start
    return worker


class Arrivals(list):  # type: ignore[type-arg]
    """The webhook receiver's list of messages, noting when the alert of each remote id
    (read from the post's link in the message) arrived."""

    LINK = re.compile(r"/@[^/\s]+/(\d+)\s")  # the post's link, on a line of its own

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    def append(self, item: Any) -> None:
        found = self.LINK.search(str(item[1].get("message", "")))
        if found:
            with self.lock:
                self.at.setdefault(found.group(1), time.monotonic())
        super().append(item)

    def of(self, remote_id: str) -> float | None:
        with self.lock:
            return self.at.get(remote_id)


def arrival_times(hook: Any) -> Arrivals:
    hook.received = Arrivals()
    return hook.received


Delays = tuple[list[float], list[float]]  # to the alert committed, to the notification


def by_stream(
    rt: Runtime, url: str, account_id: int, args: argparse.Namespace, arrivals: Arrivals
) -> Delays:
    watcher = StreamWatch(rt, account_id)
    watcher.start()
    watcher.connected.wait(15)
    time.sleep(0.5)  # the catch-up reading after connecting
    try:
        return attack(rt, url, account_id, args, arrivals)
    finally:
        watcher.stop.set()
        sandbox.drop_streams(url)
        watcher.join(timeout=10)


def by_polling(
    rt: Runtime, url: str, account_id: int, args: argparse.Namespace, arrivals: Arrivals
) -> Delays:
    stop = threading.Event()

    def poll() -> None:  # a reading every poll interval, start to start, as the job is queued
        due = time.monotonic()
        while not stop.is_set():
            read_once(rt, account_id)
            due = max(due + args.poll_seconds, time.monotonic())
            stop.wait(due - time.monotonic())

    read_once(rt, account_id)
    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        return attack(rt, url, account_id, args, arrivals, timeout=args.poll_seconds + 30)
    finally:
        stop.set()
        thread.join(timeout=30)


def read_once(rt: Runtime, account_id: int) -> None:
    with rt.store.session() as db:
        account = db.get(Account, account_id)
        connector = connector_for_account(rt, account)
    with connector:
        read_account(rt, account_id, connector, via="poll")


def attack(
    rt: Runtime,
    url: str,
    account_id: int,
    args: argparse.Namespace,
    arrivals: Arrivals,
    timeout: float = 30,
) -> Delays:
    """Post; note when each post's alert row is first seen committed, and when its
    notification reaches the webhook."""
    with rt.store.session() as db:
        name = db.get(Account, account_id).name
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def observe() -> None:
        last = 0
        while not done.is_set():
            with rt.store.session() as db:
                rows = db.execute(
                    select(WatchAlert.id, WatchAlert.remote_id).where(
                        WatchAlert.account_id == account_id, WatchAlert.id > last
                    )
                ).all()
            now = time.monotonic()
            for alert_id, remote_id in rows:
                seen.setdefault(remote_id, now)
                last = max(last, alert_id)
            time.sleep(0.005)

    observer = threading.Thread(target=observe, daemon=True)
    observer.start()
    for n in range(args.attacks):
        began = time.monotonic()
        made = sandbox.post_direct(url, name, f"attacker post {n}: buy crypto now", "public")
        sent[made["id"]] = began
        time.sleep(args.gap_ms / 1000)
    deadline = time.monotonic() + timeout

    def complete() -> bool:
        return all(i in seen and arrivals.of(i) is not None for i in sent)

    while not complete() and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    observer.join(timeout=5)
    missed = set(sent) - set(seen)
    unnotified = [i for i in sent if arrivals.of(i) is None]
    if missed or unnotified:
        print(f"  MISSED {len(missed)} alerts, {len(unnotified)} notifications")
    notified = [(arrivals.of(i) or 0.0) - sent[i] for i in sent if arrivals.of(i) is not None]
    return [seen[i] - sent[i] for i in sent if i in seen], notified


def report(how: str, delays: Delays) -> None:
    for what, values in zip(("alert committed", "notification received"), delays, strict=True):
        if not values:
            print(f"  {how}, to the {what}: none")
            continue
        ordered = sorted(values)
        p50 = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
        print(
            f"  {how}, to the {what}: {len(ordered)}, p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
        )


def postgate_text(n: int, rng: random.Random) -> str:
    parts = [
        f"Annonce n°{n} {rng.choice(EMOJI)}",
        f"@team{n % 7}@other.example",
        f"#{rng.choice(WORDS)}",
        f"https://acme.fr/annonces/{n}/{'-'.join(rng.sample(WORDS, 3)).lower()}?ref=a&n={n}",
        rng.choice(("Q&A <live>", "« citation »", "l'équipe", "5 > 3")),
        f"#{rng.choice(WORDS)}{n % 3} {rng.choice(EMOJI)}",
    ]
    rng.shuffle(parts)
    return " ".join(parts)


def false_alarms(rt: Runtime, url: str, account_id: int, args: argparse.Namespace) -> None:
    from gateway import create_app
    from tests.helpers import Actors, approve_post
    from workers.jobs import publish

    client = create_app({"TESTING": True}, settings=rt.settings).test_client()
    actors = Actors(rt, client)
    author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
    watcher = StreamWatch(rt, account_id)
    watcher.start()
    watcher.connected.wait(15)
    rng = random.Random(15)
    began = time.monotonic()
    published = 0
    try:
        for n in range(args.postgate_posts):
            made = client.post(
                "/api/v1/posts",
                json={"account": "ours", "text": postgate_text(n, rng)},
                headers=author.headers,
            )
            assert made.status_code == 201, made.get_json()
            post_id = made.get_json()["id"]
            approved = approve_post(client, reviewer, post_id)
            assert approved.get_json()["status"] == "scheduled", approved.get_json()
            outcome = publish(rt, post_id, 1)
            published += outcome.startswith("published")
        time.sleep(2)  # the stream's last events, and the posts held aside judged again
    finally:
        watcher.stop.set()
        sandbox.drop_streams(url)
        watcher.join(timeout=10)
    read_once(rt, account_id)
    with rt.store.session() as db:
        alarms = db.scalar(
            select(func.count(WatchAlert.id)).where(WatchAlert.account_id == account_id)
        )
    took = time.monotonic() - began
    print(
        f"  false alarms over {args.postgate_posts} Postgate posts ({published} published, "
        f"{took:.0f} s, stream then a full reading): {alarms}"
    )
    if alarms:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
