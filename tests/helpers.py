"""Small action helpers for tests: create users, produce TOTP codes, log in, call the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postgate import otp

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def start_postgate(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m postgate ARGS`` in a process group of its own, its output in ``log``."""
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "postgate", *args],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


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


@dataclass
class Person:
    username: str
    password: str
    secret: str
    roles: tuple[str, ...]
    token: str | None = None
    _used_steps: set[int] = field(default_factory=set)

    def code(self) -> str:
        """A valid code for a time step this person has not used yet (within the tolerance)."""
        now = otp.current_step()
        for step in (now, now + 1, now - 1):
            if step not in self._used_steps and step > max(self._used_steps, default=0):
                self._used_steps.add(step)
                return otp.code_at(self.secret, step)
        raise AssertionError("no unused TOTP step left in the tolerance window")

    @property
    def headers(self) -> dict[str, str]:
        assert self.token, "log in first"
        return {"Authorization": f"Bearer {self.token}"}


class Actors:
    """Creates people and logs them in through the real API."""

    def __init__(self, rt: Any, client: Any):
        self.rt = rt
        self.client = client

    def create(self, username: str, *roles: str, password: str = PASSWORD) -> Person:
        from postgate.services.users import create_user

        with self.rt.store.transaction() as db:
            created = create_user(self.rt, db, username, roles, password=password, actor="test")
        return Person(username, password, created.totp_secret, roles)

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
) -> int:
    """An account row with encrypted credentials, without asking any platform."""
    from postgate.store.models import Account

    with rt.store.transaction() as db:
        account = Account(
            name=name,
            platform=platform,
            base_url=base_url or rt.settings.sandbox_url,
            credentials_enc=rt.vault.encrypt_json({"token": token}),
            timezone=timezone,
            windows=windows or [],
            blackout_dates=[],
            approvals_required=approvals,
        )
        db.add(account)
        db.flush()
        return account.id
