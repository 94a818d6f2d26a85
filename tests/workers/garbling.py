"""A tiny HTTP proxy in front of the sandbox that garbles chosen answers.

Real workers reach a sandbox account through it (the account's base URL points here).
Every request is passed on to the sandbox unchanged, except those matching a rule, which
get ``200`` with a body that is not the platform's documented JSON (an HTML maintenance
page, or JSON without the status id): either after the sandbox acted on the request
(``forward=True``: the post exists, only the answer is lost) or without passing it on at
all (nothing happened on the platform).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HTML_PAGE = (
    "text/html; charset=utf-8",
    b"<!DOCTYPE html>\n<html><head><title>We'll be right back</title></head>"
    b"<body><h1>Scheduled maintenance</h1></body></html>\n",
)
JSON_WITHOUT_ID = ("application/json", b'{"status": "queued", "request_id": "9f2c"}')
HOP_BY_HOP = {"connection", "content-length", "content-encoding", "transfer-encoding", "host"}


@dataclass
class Rule:
    method: str
    path: str  # a prefix of the request path
    times: int | None  # None: every matching request
    forward: bool
    body: tuple[str, bytes]  # content type and bytes of the garbled answer
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        left = self.times is None or self.hits < self.times
        return left and method == self.method and path.startswith(self.path)


class GarblingProxy:
    """Rules are checked in the order they were added; the first match garbles."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.url = ""
        self._lock = threading.Lock()

    def garble(
        self,
        method: str,
        path: str,
        *,
        times: int | None = None,
        forward: bool = False,
        body: tuple[str, bytes] = HTML_PAGE,
    ) -> Rule:
        rule = Rule(method, path, times, forward, body)
        with self._lock:
            self.rules.append(rule)
        return rule

    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    return rule
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0]
        rule = self._rule_for(handler.command, path)
        if rule is None or rule.forward:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream = httpx.request(
                handler.command, self.upstream + handler.path, headers=headers, content=body
            )
            if rule is None:
                self._answer(handler, upstream.status_code, upstream.headers, upstream.content)
                return
        content_type, content = rule.body
        self._answer(handler, 200, {"Content-Type": content_type}, content)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, headers, content: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            if key.lower() not in HOP_BY_HOP and key.lower() not in ("date", "server"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


@contextmanager
def garbling_proxy(upstream: str) -> Iterator[GarblingProxy]:
    """Run a :class:`GarblingProxy` on a free local port for the block."""
    proxy = GarblingProxy(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_request(self) -> None:
            proxy.handle(self)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_request

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def route_account(rt: Any, name: str, url: str) -> None:
    """Point a stored account at ``url`` (the proxy) instead of the sandbox itself."""
    from sqlalchemy import update

    from postgate.store.models import Account

    with rt.store.transaction() as db:
        db.execute(update(Account).where(Account.name == name).values(base_url=url))
