"""A local HTTP server that answers from a recording of a platform's exchanges, for tests that
go through the whole product (store, API, pages) to a platform Postgate cannot reach.

Each request takes the next exchange of the recording (``tests/postgate/platforms/
recordings``, shaped like the platform's documentation) whose method and path match, and
answers its response; the requests are kept for the test to look at.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.postgate.platforms.replay import RECORDINGS


class StandIn:
    def __init__(self, *recordings: str) -> None:
        self.exchanges: list[dict[str, Any]] = [
            exchange
            for name in recordings
            for exchange in json.loads((RECORDINGS / name).read_text())
        ]
        self.requests: list[tuple[str, str]] = []
        self.url = ""

    def answer(self, method: str, path: str) -> dict[str, Any]:
        self.requests.append((method, path))
        for index, exchange in enumerate(self.exchanges):
            request = exchange["request"]
            if request["method"] == method and path.split("?")[0].endswith(request["path"]):
                return self.exchanges.pop(index)["response"]
        return {"status": 404, "json": {"error": {"message": "not recorded", "code": 803}}}


@contextmanager
def stand_in(*recordings: str) -> Iterator[StandIn]:
    """The server on a free loopback port, answering from ``recordings`` in order."""
    server_state = StandIn(*recordings)

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            recorded = server_state.answer(self.command, self.path)
            body = (
                json.dumps(recorded["json"]).encode()
                if "json" in recorded
                else recorded.get("text", "").encode()
            )
            self.send_response(recorded["status"])
            for name, value in recorded.get("headers", {}).items():
                self.send_header(name, value)
            if "json" in recorded:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = do_PUT = _reply

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


def env_reaching(tmp_path: Path, database_url: str, redis_url: str, url: str) -> dict[str, str]:
    """The test environment with settings that let connectors reach the stand-in at ``url``
    on loopback (``allow_private_urls``), the rules as shipped."""
    from tests.conftest import ROOT, make_env

    config = tmp_path / "postgate.toml"
    config.write_text(
        f'[rules]\nrules = "{ROOT / "config" / "rules.toml"}"\n'
        f'[security]\nallow_private_urls = ["{url}"]\n',
        encoding="utf-8",
    )
    return make_env(tmp_path, database_url, redis_url, POSTGATE_CONFIG=str(config))


def without_delete(monkeypatch: Any, platform: str) -> None:
    """``platform``'s registry entry as a platform whose API cannot delete posts."""
    from postgate.platforms import registry

    spec = registry.PLATFORMS[platform]
    cannot = replace(spec.capabilities, delete=False)
    monkeypatch.setitem(registry.PLATFORMS, platform, replace(spec, capabilities=cannot))
