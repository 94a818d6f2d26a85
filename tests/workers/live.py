"""Postgate as it runs for real, for outage and scale-out tests: web processes (``postgate
serve`` under gunicorn) reached over HTTP, and an API client that submits and approves posts
while counting every answer it gets, the way a client integration would see an outage."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from sandbox import client as sandbox_client
from tests.conftest import _free_port
from tests.helpers import Actors, Person, http_answer, start_postgate, wait_until

RETRY_CAP = 0.5  # the test's client waits at most this long, whatever Retry-After says


class WebProcess:
    """``postgate serve`` (gunicorn) on a free port, in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path, *, processes: int = 1) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--port", str(self.port), "--processes", str(processes), "--threads", "4"]
        self.proc = start_postgate(args, env, log)
        self.log = log

    def wait_ready(self) -> WebProcess:
        log = self.log
        wait_until(self.healthy, 30, lambda: f"the web app: {log.read_text()[-2000:]}")
        return self

    def kill(self) -> None:
        """SIGKILL the web process and its gunicorn workers (its process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def errors(self) -> str:
        """The log from its first error on (tracebacks included), to explain a failure."""
        text = self.log.read_text(errors="replace")
        first = text.find(" ERROR ")
        return "" if first < 0 else text[first : first + 4000]

    def healthy(self) -> bool:
        answer = http_answer(f"{self.url}/healthz")
        return answer is not None and answer.status_code == 200


@dataclass
class Tally:
    """Every answer the client got, by status; and the 5xx ones, with what was asked."""

    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, method: str, path: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                retry = response.headers.get("Retry-After")
                self.server_errors.append(f"{method} {path} {response.status_code} {retry}")

    def count(self, *statuses: int) -> int:
        return sum(self.statuses[s] for s in statuses)

    @property
    def final_5xx(self) -> int:
        """5xx answers other than a 503 carrying Retry-After (which the client retries)."""
        return sum(1 for e in self.server_errors if not e.endswith(" 503 5"))


class ApiClient:
    """An integration's view of the API: it retries a connection refused or a 503 with
    ``Retry-After`` (at most :data:`RETRY_CAP` apart here), and notes every answer."""

    def __init__(
        self, base_urls: list[str], tally: Tally, *, local_address: str | None = None
    ) -> None:
        """``local_address``: the loopback address to connect from (127.0.0.2 ...), so that
        clients behind a proxy have addresses of their own."""
        self.base_urls, self.tally = base_urls, tally
        self._turn = 0
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        self.http = httpx.Client(timeout=20, transport=transport)

    def call(self, method: str, path: str, person: Person | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {person.token}"} if person and person.token else {}
        deadline = time.monotonic() + 60
        while True:
            base = self.base_urls[self._turn % len(self.base_urls)]
            self._turn += 1
            try:
                response = self.http.request(method, base + path, headers=headers, **kwargs)
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"{method} {path}: no answer for 60 s"
                time.sleep(0.2)
                continue
            self.tally.note(method, path, response)
            if response.status_code == 503 and "Retry-After" in response.headers:
                assert time.monotonic() < deadline, f"{method} {path}: 503 for 60 s"
                time.sleep(min(RETRY_CAP, float(response.headers["Retry-After"])))
                continue
            return response

    def login(self, person: Person) -> Person:
        body = {"username": person.username, "password": person.password, "otp": person.code()}
        response = self.call("POST", "/api/v1/session", json=body)
        assert response.status_code == 201, response.text
        person.token = response.json()["token"]
        return person


class Campaign:
    """An author submits posts and a reviewer approves them, each scheduled a little ahead,
    from a thread, while the test breaks things; then what reached the platform is counted."""

    def __init__(
        self,
        client: ApiClient,
        author: Person,
        reviewer: Person,
        sandbox: str,
        logged_errors: Callable[[], str] = lambda: "",
    ) -> None:
        """``logged_errors``: what the servers logged of their errors, shown on a failure."""
        self.client, self.author, self.reviewer, self.sandbox = client, author, reviewer, sandbox
        self.logged_errors = logged_errors
        self.texts: dict[str, int] = {}
        self.failures: list[str] = []
        self._thread: threading.Thread | None = None

    def submit(self, text: str, seconds: float, account: str = "acme") -> int:
        """Submits and approves one post due ``seconds`` from now."""
        when = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
        body = {"account": account, "text": text, "scheduled_at": when}
        made = self.client.call("POST", "/api/v1/posts", self.author, json=body)
        assert made.status_code == 201, made.text
        post_id = made.json()["id"]
        shown = self.client.call("GET", f"/api/v1/posts/{post_id}", self.reviewer).json()
        approve = {"content_hash": shown["content_hash"]}
        approved = self.client.call(
            "POST", f"/api/v1/posts/{post_id}/approve", self.reviewer, json=approve
        )
        if approved.status_code == 409 and approved.json().get("error") == "schedule_passed":
            # A busy machine let the moment pass before the approval: the reviewer gives
            # the time again, as far ahead as first meant, as a person would.
            again = datetime.now(UTC) + timedelta(seconds=seconds)
            approve["scheduled_at"] = again.isoformat()
            approved = self.client.call(
                "POST", f"/api/v1/posts/{post_id}/approve", self.reviewer, json=approve
            )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "scheduled", approved.text
        self.texts[text] = post_id
        return post_id

    def run_in_background(self, count: int, every: float, ahead: float, tag: str) -> None:
        def work() -> None:
            try:
                for i in range(count):
                    self.submit(f"Annonce {i} du scénario « {tag} », semaine {i % 7}.", ahead)
                    self.client.call("GET", "/api/v1/posts?limit=20", self.reviewer)
                    time.sleep(every)
            except Exception as exc:  # reported by join()
                self.failures.append(repr(exc))

        self._thread = threading.Thread(target=work, name="campaign", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 60) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the campaign did not finish"
        assert not self.failures, f"{self.failures}\n{self.logged_errors()}"

    def poll_until_published(self, timeout: float) -> None:
        """The client polls the API until every post it submitted is published."""

        def all_published() -> bool:
            listed = self.client.call(
                "GET", "/api/v1/posts?status=published&limit=200", self.reviewer
            )
            done = {p["id"] for p in listed.json()["posts"]}
            return set(self.texts.values()) <= done

        wait_until(all_published, timeout, lambda: f"publication of {len(self.texts)} posts")

    def lost_and_duplicated(self, account: str = "acme") -> tuple[int, int]:
        live = Counter(p["text"] for p in sandbox_client.list_live(self.sandbox, account))
        lost = sum(1 for text in self.texts if live[text] == 0)
        duplicated = sum(live[text] - 1 for text in self.texts if live[text] > 1)
        return lost, duplicated


def people_over_http(rt: Any, client: ApiClient) -> tuple[Person, Person]:
    """An author and a reviewer, signed in through the web process (real time for codes)."""
    actors = Actors(rt, clock=time.time)
    author = client.login(actors.create("alice", "author"))
    reviewer = client.login(actors.create("bob", "reviewer"))
    return author, reviewer


@contextmanager
def running_postgate(
    env: dict[str, str], rt: Any, workers: Any, sandbox: str, tmp_path: Path
) -> Iterator[SimpleNamespace]:
    """The web app and two workers, and an author and a reviewer signed in through it: the
    ``web``, the client's ``tally`` and a ``campaign`` to run."""
    web = WebProcess(env, tmp_path / "web.log")  # starts while the workers start
    workers.start()
    workers.start()
    web.wait_ready()
    tally = Tally()
    client = ApiClient([web.url], tally)
    try:
        author, reviewer = people_over_http(rt, client)
        yield SimpleNamespace(
            web=web, tally=tally, campaign=Campaign(client, author, reviewer, sandbox, web.errors)
        )
    finally:
        client.http.close()
        web.kill()
