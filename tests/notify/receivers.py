"""Real receivers for notification tests: an SMTP server (aiosmtpd) and a JSON webhook
receiver (the target of Apprise's ``json://``), both on free local ports in threads.

Each can hold the first message it gets, before accepting it, until the test releases it:
a worker killed meanwhile has delivered nothing, as with a real server that never answered.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HEADER = "X-Postgate-Message"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gate:
    """Holds the first arrival until released (``armed`` False: lets everything through)."""

    armed: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def pass_through(self) -> None:
        if self.armed:
            self.armed = False
            self.arrived.set()
            self.release.wait(30)


class SmtpReceiver:
    """Mail accepted by a real SMTP server, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.gate = Gate()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.gate.pass_through()  # before DATA: nothing is accepted while held
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted"

    def url(self, to: str = "") -> str:
        """An Apprise ``mailto`` URL sending through this server."""
        target = f"&to={to}" if to else ""
        return f"mailto://127.0.0.1:{self.port}?from=postgate@example.org&secure=no{target}"

    def texts(self) -> list[str]:
        return [f"{m['Subject']}\n{_plain(m)}" for m in self.messages]

    def ids(self) -> list[str]:
        return [str(m[HEADER]) for m in self.messages]

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.release.set()
        self._controller.stop()


def _plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


class WebhookReceiver:
    """JSON posts received (Apprise ``json://``): headers and body of each; ``fail`` makes
    the next answers 500."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.paths: list[str] = []
        self.gate = Gate()
        self.fail = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.gate.pass_through()  # before the body is read: not received yet
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if len(raw) < length:  # the sender went away mid-request: nothing received
                    return
                body = json.loads(raw or b"{}")
                if receiver.fail > 0:
                    receiver.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append((dict(self.headers), body))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def texts(self, path: str | None = None) -> list[str]:
        """Title and text of each message received (at ``/path`` only, when given)."""
        return [
            f"{b.get('title')}\n{b.get('message')}"
            for (_, b), at in zip(self.received, self.paths, strict=True)
            if path is None or at == f"/{path}"
        ]

    def ids(self) -> list[str]:
        return [h.get(HEADER, "") for h, _ in self.received]

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.release.set()
        self._server.shutdown()
        self._server.server_close()
