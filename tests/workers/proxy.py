"""A tiny round-robin HTTP reverse proxy for tests, as a load balancer in front of several
web instances would be: each request goes to the next backend (a backend that refuses the
connection is skipped), with the client's address appended to ``X-Forwarded-For``."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-connection",
    "content-length",
    "host",
}


class RoundRobin:
    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.served: Counter[str] = Counter()
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self.http = httpx.Client(timeout=30)

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes, client: str):
        forwarded = headers.pop("X-Forwarded-For", None)
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        for _ in range(len(self.backends)):
            with self._lock:
                backend = self.backends[next(self._turn) % len(self.backends)]
            try:
                response = self.http.request(method, backend + path, headers=headers, content=body)
            except httpx.ConnectError:
                continue  # a dead backend: the next one (a request sent is never sent twice)
            with self._lock:
                self.served[backend] += 1
            return response
        return None


def _handler(balancer: RoundRobin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _proxy(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = balancer.forward(
                self.command, self.path, headers, body, self.client_address[0]
            )
            if answer is None:
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-encoding":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _proxy

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def round_robin_proxy(backends: list[str]) -> Iterator[tuple[str, RoundRobin]]:
    """A proxy on 127.0.0.1 (a free port) for the block: its URL and its balancer."""
    balancer = RoundRobin(backends)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(balancer))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", balancer
    finally:
        server.shutdown()
        server.server_close()
        balancer.http.close()
        thread.join(timeout=5)
