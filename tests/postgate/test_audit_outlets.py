"""Checkpoints leave the machine: syslog (a real UDP syslog listener) and webhooks (a real HTTP
server), at once after a freeze or a takedown, and an alert when the chain was cut."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from gateway import create_app
from postgate.audit_checkpoint import (
    Outcome,
    latest_checkpoint,
    verify_trail,
    write_checkpoint,
)
from postgate.store.models import AuditEntry, AuditHead
from tests.conftest import _runtime, make_env
from tests.helpers import ROOT, Actors, make_account, wait_until
from tests.postgate.test_audit import append


class Listener:
    """A UDP syslog receiver and an HTTP webhook receiver on free loopback ports."""

    def __init__(self) -> None:
        self.syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.syslog.bind(("127.0.0.1", 0))
        self.syslog.settimeout(5)
        self.hooks: list[dict] = []
        hooks = self.hooks

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hooks.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def syslog_address(self) -> str:
        return f"127.0.0.1:{self.syslog.getsockname()[1]}"

    @property
    def hook_url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/hook/s3cret"

    def syslog_messages(self) -> list[str]:
        messages = []
        self.syslog.settimeout(0.5)
        try:
            while True:
                messages.append(self.syslog.recv(65536).decode())
        except TimeoutError:
            return messages

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.syslog.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture
def out_rt(tmp_path: Path, database_url: str, redis_url: str, redis, listener: Listener):
    config = tmp_path / "postgate.toml"
    config.write_text(
        f'[rules]\nrules = "{ROOT / "config/rules.toml"}"\n'
        f'[audit]\nsyslog = "{listener.syslog_address}"\nwebhooks = ["{listener.hook_url}"]\n'
        f'[security]\nallow_private_urls = ["{listener.hook_url}"]\n'
    )
    runtime = _runtime(make_env(tmp_path, database_url, redis_url, POSTGATE_CONFIG=str(config)))
    yield runtime
    runtime.store.dispose()


def test_checkpoint_goes_to_syslog_and_the_webhook_signed(out_rt, listener: Listener) -> None:
    listener.syslog_messages()  # the one written by init
    append(out_rt, 2)
    written = write_checkpoint(out_rt, "periodic")
    assert written.outcome is Outcome.WRITTEN
    (message,) = listener.syslog_messages()
    assert message.startswith(f"<{10 * 8 + 6}>postgate-audit: ")  # authpriv.info
    sent = json.loads(message.split("postgate-audit: ", 1)[1])
    assert sent["seq"] == 2 and sent["sig"] == written.checkpoint.sig
    assert listener.hooks[-1] == {"event": "audit-checkpoint", **written.checkpoint.to_dict()}


def test_a_cut_chain_raises_an_alert_instead_of_a_checkpoint(out_rt, listener) -> None:
    append(out_rt, 3)
    write_checkpoint(out_rt, "periodic")
    listener.syslog_messages()
    with out_rt.store.transaction() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq > 1))
        db.execute(update(AuditHead).values(seq=1))
    assert write_checkpoint(out_rt, "periodic").outcome is Outcome.REFUSED
    (message,) = listener.syslog_messages()
    assert message.startswith(f"<{10 * 8 + 2}>")  # authpriv.crit
    assert listener.hooks[-1]["event"] == "audit-chain-broken"


def test_freeze_and_lift_are_checkpointed_as_they_commit(out_rt, listener) -> None:
    app = create_app({"TESTING": True}, settings=out_rt.settings)
    actors = Actors(out_rt, app.test_client())
    make_account(out_rt, "acme")
    sam = actors.person("sam", "security")
    client = actors.client
    for path, reason in (("/api/v1/freeze", "freeze:set"), ("/api/v1/freeze/lift", "freeze:lift")):
        answer = client.post(path, json={"reason": "incident"}, headers=sam.headers)
        assert answer.status_code in (200, 201), answer.get_json()
        with out_rt.store.session() as db:
            head = db.get(AuditHead, 1)
        latest = latest_checkpoint(out_rt.settings.checkpoints_path, out_rt.audit_key)
        assert (latest.seq, latest.hash, latest.reason) == (head.seq, head.hash, reason)
        wait_until(lambda r=reason: listener.hooks and listener.hooks[-1]["reason"] == r, 5, reason)


def test_a_takedown_is_checkpointed_as_it_starts(out_rt) -> None:
    app = create_app({"TESTING": True}, settings=out_rt.settings)
    actors = Actors(out_rt, app.test_client())
    make_account(out_rt, "acme")
    sam = actors.person("sam", "security")
    answer = actors.client.post(
        "/api/v1/takedowns", json={"since": "2026-01-01T00:00:00Z"}, headers=sam.headers
    )
    assert answer.status_code == 202, answer.get_json()
    with out_rt.store.session() as db:
        started = db.scalar(select(AuditEntry.seq).where(AuditEntry.action == "takedown:start"))
    latest = latest_checkpoint(out_rt.settings.checkpoints_path, out_rt.audit_key)
    assert latest.seq >= started and latest.reason in ("takedown:start", "freeze:set")
    assert verify_trail(out_rt).ok
