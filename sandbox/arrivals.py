"""When each platform call arrived: a record tests and benchmarks read back.

A test that asks "did a call start after that moment?" (a freeze's answer, an outage's end)
needs the platform's side of the story, not the client's: every request to the platform API
(``/api/*``, ``/oauth/*``) is noted the moment the sandbox starts handling it, before any
rate limit, injected fault or latency, with the account its token belongs to and its
``Idempotency-Key``. ``GET /sandbox/arrivals[?account=NAME]`` answers them oldest first as
``{"arrivals": [{"at", "method", "path", "account", "idempotency_key", "status"}]}`` (``at``
in epoch seconds, ``status`` the answer's code, null while it is being handled);
``DELETE /sandbox/arrivals`` forgets them. The most recent 100,000 are kept.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from sandbox.api import identify

KEEP = 100_000
EXTENSION = "postgate_sandbox_arrivals"
PLATFORM = ("/api/", "/oauth/")

bp = Blueprint("sandbox_arrivals", __name__)


class Arrivals:
    """The record, shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[dict[str, Any]] = deque(maxlen=KEEP)

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._items.append(item)

    def listed(self, account: str | None) -> list[dict[str, Any]]:
        with self._lock:
            items = [dict(i) for i in self._items]
        return [i for i in items if account is None or i["account"] == account]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def install_arrivals(app: Flask) -> None:
    """Register before every other hook, so the time is the arrival's."""
    app.extensions[EXTENSION] = Arrivals()
    app.before_request_funcs.setdefault(None, []).insert(0, _note)
    app.after_request(_answered)
    app.register_blueprint(bp)


def _record() -> Arrivals:
    return current_app.extensions[EXTENSION]


def _note() -> None:
    if not request.path.startswith(PLATFORM):
        return
    at = time.time()
    account = identify()
    g.sandbox_arrival = item = {
        "at": at,
        "method": request.method,
        "path": request.path,
        "account": account.username if account is not None else None,
        "idempotency_key": request.headers.get("Idempotency-Key"),
        "status": None,
    }
    _record().add(item)


def _answered(response: Response) -> Response:
    item = g.get("sandbox_arrival")
    if item is not None:
        item["status"] = response.status_code
    return response


@bp.route("/sandbox/arrivals", methods=["GET", "DELETE"])
def arrivals() -> Response:
    if request.method == "DELETE":
        _record().clear()
        return jsonify({})
    return jsonify({"arrivals": _record().listed(request.args.get("account"))})
