"""Small action helpers for tests: create users, produce TOTP codes, log in, call the API, and
use the web pages as a browser would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import event

from postgate import otp
from sandbox.switches import Realism
from tests import forked

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
T = TypeVar("T")


POLL_AT_MOST = 0.25  # seconds between two looks of a long wait_until


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    what: str | Callable[[], str] = "the condition",
    *,
    step: float = 0.05,
) -> T:
    """Call ``predicate`` every ``step`` seconds until it returns something true, and return
    that; after ``timeout`` seconds fail the test, naming ``what`` (a callable is asked at
    that moment, to say how far things got). The tests' one polling loop: something outside
    the test (a worker process, a server, a thread) makes the change, so waiting is real.

    After the first second the pause grows, to at most ``POLL_AT_MOST``: a predicate is often
    a request or a query, and polled every 50 ms through a long wait it took CPU from the
    very worker being waited for (the suite runs four test processes on two cores)."""
    started = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value
        waited = time.monotonic() - started
        if waited > timeout:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout} s waiting for {said}")
        if waited > 1.0 and step < POLL_AT_MOST:
            step = min(POLL_AT_MOST, step * 1.5)
        time.sleep(step)


def http_answer(url: str) -> httpx.Response | None:
    """``url``'s answer once it answers without a server error, else None (for
    ``wait_until``: a server starting up)."""
    try:
        response = httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return None
    return response if response.status_code < 500 else None


@contextmanager
def sent_statements(rt: Any) -> Iterator[list[str]]:
    """The SQL statements ``rt``'s store sends while the block runs, in order, as sent."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(rt.store.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(rt.store.engine, "before_cursor_execute", note)


def start_postgate(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m postgate ARGS`` in a process group of its own, its output in ``log``
    (forked from the test process's fork server, :mod:`tests.forked`)."""
    if forked.enabled():
        return forked.start(args, {**os.environ, **env}, ROOT, log)  # type: ignore[return-value]
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "postgate", *args],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def postgate_cli(
    args: list[str],
    env: dict[str, str],
    *,
    stdin: str | None = None,
    timeout: float = 120,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """``python -m postgate ARGS`` to its end with ``env`` as its whole environment, its
    output captured (forked from the fork server, :mod:`tests.forked`)."""
    if forked.enabled():
        return forked.run(args, env, cwd, stdin=stdin, timeout=timeout)
    return subprocess.run(
        [sys.executable, "-m", "postgate", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_postgate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m postgate ARGS`` to its end, as an operator runs it; output captured."""
    return postgate_cli(list(args), {**os.environ, **env})


def stop_process_groups(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every group, give each 8 s to stop warmly, then SIGKILL what is left."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


class TotpClock:
    """The clock a test's TOTP codes are checked against (``Runtime.clock``): real time plus
    the 30-second steps the test skipped. A person who has used every code near now moves it
    on a step instead of waiting for the next one; ``step()`` is the step it is at."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def step(self) -> int:
        return otp.current_step(self())

    def advance(self, steps: int = 1) -> None:
        self.offset += steps * otp.INTERVAL


@dataclass
class Person:
    username: str
    password: str
    secret: str
    roles: tuple[str, ...]
    token: str | None = None
    _used_steps: set[int] = field(default_factory=set)
    clock: Callable[[], float] = time.time  # the one Postgate checks this person's codes by

    def code(self) -> str:
        """A valid code for a time step this person has not used yet (within the tolerance);
        when there is none, a ``TotpClock`` moves on a step (real time would mean waiting)."""
        while True:
            now = otp.current_step(self.clock())
            for step in (now, now + 1, now - 1):
                if step not in self._used_steps and step > max(self._used_steps, default=0):
                    self._used_steps.add(step)
                    return otp.code_at(self.secret, step)
            if not isinstance(self.clock, TotpClock):
                raise AssertionError("no unused TOTP step left in the tolerance window")
            self.clock.advance()

    @property
    def headers(self) -> dict[str, str]:
        assert self.token, "log in first"
        return {"Authorization": f"Bearer {self.token}"}


class Actors:
    """Creates people, and logs them in through the real API of ``client`` (a Flask test
    client; the browser tests, which sign in through Chromium, need none). Their codes are
    for ``clock``: the test's ``TotpClock`` in process, real time for a server apart."""

    def __init__(self, rt: Any, client: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.rt = rt
        self.client = client
        self.clock = clock

    def create(self, username: str, *roles: str, password: str = PASSWORD) -> Person:
        from postgate.services.users import create_user

        with self.rt.store.transaction() as db:
            created = create_user(self.rt, db, username, roles, password=password, actor="test")
        return Person(username, password, created.totp_secret, roles, clock=self.clock)

    def login(self, person: Person) -> Person:
        response = self.client.post(
            "/api/v1/session",
            json={"username": person.username, "password": person.password, "otp": person.code()},
        )
        assert response.status_code == 201, response.get_json()
        person.token = response.get_json()["token"]
        return person

    def person(self, username: str, *roles: str) -> Person:
        return self.login(self.create(username, *roles))


class WebActions:
    """The web pages driven as a browser would (flaskr's ``AuthActions``): people sign in
    through the login form, and every form is fetched first and sent back with its CSRF
    token. ``client`` is a Flask test client, which keeps the cookies."""

    def __init__(self, client: Any):
        self.client = client

    def another(self) -> WebActions:
        """A second browser on the same app, with cookies of its own."""
        return WebActions(self.client.application.test_client())

    def csrf(self, page: str = "/me") -> str:
        """The CSRF token of the form on ``page`` (every page of the site has one; ``/me``
        leads to the login page when nobody is signed in)."""
        response = self.client.get(page, follow_redirects=True)
        match = CSRF_FIELD.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} ({response.status_code})"
        return match.group(1)

    def submit(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        /,
        *,
        page: str | None = None,
        json: Any = None,
        **fields: Any,
    ) -> Any:
        """Send the form of ``page`` (default ``path``, or ``/me`` for a bare action) to
        ``path`` with ``data`` and ``fields``, and its CSRF token; ``json`` sends a JSON body
        with the token in the ``X-CSRFToken`` header instead, as ``compose.js`` does."""
        token = self._token(page or path)
        if json is not None:
            return self.client.post(path, json=json, headers={"X-CSRFToken": token})
        return self.client.post(path, data={"csrf_token": token, **(data or {}), **fields})

    def _token(self, page: str) -> str:
        response = self.client.get(page, follow_redirects=True)
        match = CSRF_FIELD.search(response.get_data(as_text=True))
        return match.group(1) if match else self.csrf()

    def try_login(
        self, person: Person, *, code: str | None = None, lang: str = "en", **fields: Any
    ) -> Any:
        """Fill the login form for ``person`` (their password and a fresh code unless given)
        and read the pages in ``lang`` from then on; the answer is the caller's to check."""
        self.client.set_cookie("postgate_lang", lang)
        form = {"username": person.username, "password": person.password, **fields}
        return self.submit("/login", form, otp=code or person.code())

    def login(self, person: Person, *, lang: str = "en") -> Any:
        """Sign ``person`` in; fails the test unless the form lets them in."""
        response = self.try_login(person, lang=lang)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self) -> Any:
        return self.submit("/logout")

    def approve(self, post_id: int, **fields: Any) -> Any:
        """Open the review page of ``post_id`` and send its approve form as shown (with the
        ``content_hash`` it carries) plus ``fields``."""
        page = self.client.get(f"/review/{post_id}").get_data(as_text=True)
        token = CSRF_FIELD.search(page)
        assert token, f"no form on /review/{post_id}"
        if "content_hash" not in fields:
            fields["content_hash"] = shown_hash(page)
        data = {"csrf_token": token.group(1), **fields}
        return self.client.post(f"/review/{post_id}/approve", data=data)


def approve_post(client: Any, person: Person, post_id: int, **body: Any) -> Any:
    """``POST /api/v1/posts/{id}/approve`` by ``person``, naming the ``content_hash`` they
    read (fetched first, as a client shows the post before approving it) unless ``body``
    gives one."""
    if "content_hash" not in body:
        shown = client.get(f"/api/v1/posts/{post_id}", headers=person.headers)
        body["content_hash"] = shown.get_json()["content_hash"]
    return client.post(f"/api/v1/posts/{post_id}/approve", json=body, headers=person.headers)


CONTENT_HASH_FIELD = re.compile(r'name="content_hash" type="hidden" value="([0-9a-f]*)"')


def shown_hash(page: str) -> str:
    """The ``content_hash`` the review page's approve form carries."""
    match = CONTENT_HASH_FIELD.search(page)
    assert match, "no content_hash on the review page"
    return match.group(1)


def error_next_to(body: str, field_id: str) -> str:
    """The error paragraph of a form field, which ``aria-describedby`` points at."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', body)
    assert match, f"no error next to {field_id}"
    return match.group(1)


NO_DELETION_LIMIT = Realism(deletion_limit=None)  # for tests deleting many posts at once


def sandbox_credentials(url: str, name: str) -> dict[str, str]:
    """What connecting the sandbox account ``name`` stores: a token and its app's pair."""
    from sandbox import client

    issued = client.issue_token(url, name)
    fields = ("client_id", "client_secret")
    return {"token": issued["access_token"], **{f: issued[f] for f in fields}}


def make_account(
    rt: Any,
    name: str = "acme",
    *,
    platform: str = "sandbox",
    base_url: str | None = None,
    token: str = "sandbox-token",
    approvals: int = 1,
    timezone: str = "UTC",
    windows: list[str] | None = None,
    credentials: dict[str, str] | None = None,
) -> int:
    """An account row with encrypted credentials (``credentials``, else just ``token``),
    without asking any platform."""
    from postgate.store.models import Account

    with rt.store.transaction() as db:
        account = Account(
            name=name,
            platform=platform,
            base_url=base_url or rt.settings.sandbox_url,
            credentials_enc=rt.vault.encrypt_json(credentials or {"token": token}),
            timezone=timezone,
            windows=windows or [],
            blackout_dates=[],
            approvals_required=approvals,
        )
        db.add(account)
        db.flush()
        return account.id


def drain_queue(rt: Any, name: str, worker_class: Any = None) -> None:
    """Run the jobs now queued on ``name``, in this process, with a real RQ worker
    (``worker_class``: a ``SimpleWorker`` unless given), until none is left."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from postgate import queue
    from postgate.runtime import share_runtime

    share_runtime(rt)
    try:
        worker = (worker_class or SimpleWorker)(
            [queue.named_queue(rt.redis, name)], connection=rt.redis, serializer=JSONSerializer
        )
        worker.work(burst=True)
    finally:
        share_runtime(None)
