"""The sandbox platform's WSGI app factory and its threaded HTTP server.

``create_sandbox_app`` builds an independent app per call (its own store, faults and
counters), so tests can run several; ``serve`` and ``running_sandbox`` put one on a
threaded werkzeug server, which handles concurrent requests.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox import api, control, edits, instance, media, oauth, oauth_authorize, profile, streaming
from sandbox.arrivals import install_arrivals
from sandbox.deletion_limit import install_deletion_limit
from sandbox.errors import SandboxError
from sandbox.faults import (
    Faults,
    RateLimit,
    check_error_rate,
    check_latency,
    parse_rate_limit,
)
from sandbox.guard import install_guard
from sandbox.realism import bp as behaviour_bp
from sandbox.state import EXTENSION, SandboxState
from sandbox.store import SandboxStore
from sandbox.switches import Realism, install_realism


def create_sandbox_app(
    data_path: str | Path,
    *,
    latency_ms: int = 0,
    rate_limit: RateLimit | str | None = None,
    error_rate: float = 0.0,
    base_url: str | None = None,
    realism: Realism | None = None,
    media_processing_ms: int = 0,
) -> Flask:
    """Build the app; ``base_url`` (else the request's host) prefixes entity URLs;
    ``media_processing_ms``: how long an uploaded image stays "processing" (sandbox/media.py).

    ``rate_limit`` is a RateLimit or ``"N/SECONDS"``; bad values raise ValueError here.
    """
    if isinstance(rate_limit, str):
        rate_limit = parse_rate_limit(rate_limit)
    faults = Faults(check_latency(latency_ms), rate_limit, check_error_rate(error_rate))
    app = Flask(__name__)
    assert isinstance(app.json, DefaultJSONProvider)
    app.json.sort_keys = False  # keep Mastodon's field order
    base = base_url.rstrip("/") if base_url else None
    store = SandboxStore(data_path)
    edits.create_schema(store)
    oauth.create_schema(store)
    oauth_authorize.create_schema(store)
    profile.create_schema(store)
    app.extensions[EXTENSION] = SandboxState(store, faults, base)
    install_realism(app, realism)
    for blueprint in (
        api.bp,
        control.bp,
        behaviour_bp,
        instance.bp,
        edits.bp,
        oauth.bp,
        oauth_authorize.bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(profile.bp)
    streaming.init_app(app, store)
    media.init_app(app, store, media_processing_ms)
    install_guard(app)
    install_arrivals(app)  # its hook goes first: the time noted is the request's arrival
    install_deletion_limit(app)  # after the guard: it reports the most limited of the two
    app.register_error_handler(oauth.OAuthError, oauth.oauth_error)
    app.register_error_handler(SandboxError, _sandbox_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _sandbox_error(exc: SandboxError) -> tuple[Response, int]:
    return jsonify({"error": exc.message}), exc.status


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    """Unknown routes, wrong methods and the like answer JSON too, never HTML."""
    status = exc.code or 500
    message = "Record not found" if status == 404 else exc.name
    return jsonify({"error": message}), status


def make_sandbox_server(
    host: str, port: int, data_path: str | Path, **options: Any
) -> BaseWSGIServer:
    """A bound, threaded server (``port=0`` picks a free port); not yet serving.

    The socket is bound here rather than by werkzeug, which prints and calls
    ``sys.exit`` when the port is taken; an OSError lets callers report it.
    """
    app = create_sandbox_app(data_path, **options)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family) as listener:
            server = make_server(host, port, app, threaded=True, fd=listener.fileno())
    except OSError:
        app.extensions[EXTENSION].store.close()
        raise
    state = app.extensions[EXTENSION]
    if state.base_url is None and host not in ("0.0.0.0", "::", ""):  # noqa: S104 - a comparison
        state.base_url = f"http://{_url_host(host)}:{server.server_address[1]}"
    return server


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(host: str, port: int, data_path: str | Path, **options: object) -> None:
    """Serve until interrupted (``postgate sandbox serve``)."""
    server = make_sandbox_server(host, port, data_path, **options)
    url = f"http://{_url_host(host)}:{server.server_address[1]}"
    print(f"sandbox listening on {url} (data: {data_path})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        _close_store(server)


@contextmanager
def running_sandbox(
    data_path: str | Path, host: str = "127.0.0.1", port: int = 0, **options: object
) -> Iterator[str]:
    """Run a sandbox in a background thread for the block; yields its base URL."""
    server = make_sandbox_server(host, port, data_path, **options)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="postgate-sandbox", daemon=True
    )
    thread.start()
    try:
        yield f"http://{_url_host(host)}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        _close_store(server)


def _close_store(server: BaseWSGIServer) -> None:
    server.app.extensions[EXTENSION].store.close()  # type: ignore[attr-defined]
