"""The user stream: ``GET /api/v1/streaming/user`` over server-sent events, as Mastodon's.

What Mastodon's streaming server does (mastodon/mastodon ``streaming/index.js``,
``streamToHttp``; https://docs.joinmastodon.org/methods/streaming/):

- The token comes as ``Authorization: Bearer`` or the ``access_token`` query parameter;
  without one the answer is 401 ``{"error": "Missing access token"}``, with a bad one 401
  ``{"error": "Invalid access token"}``.
- The answer is ``text/event-stream`` (``Cache-Control: no-store``), opened by the comment
  ``:)``, kept alive by the comment ``:thump`` every 15 seconds, and each event is
  ``event: <name>`` then ``data: <payload>`` and a blank line.
- The account's own statuses reach its home timeline whatever their visibility
  (``FanOutOnWriteService#deliver_to_self!``), so the user stream carries ``update`` (a new
  Status, as JSON), ``status.update`` (an edited Status, Mastodon 3.5+) and ``delete`` (the
  deleted status's id, as a bare string: ``FeedManager#unpush_from_home``).
- There is no replay: an event sent while a client was away is lost to it (no event ids,
  no ``Last-Event-ID``). A client that reconnects must list what it missed by the REST API.
- Profile changes are not streamed.
- The user stream needs the ``read`` or ``read:statuses`` scope; a token without either is
  answered 401 ``{"error": "Access token does not have the required scopes"}`` (``checkScopes``),
  though the REST API answers such a token 403 for a read it may not do: a 401 from the
  stream alone does not mean the token was revoked.
- Revoking a token ends the streams opened with it at once: Mastodon's
  ``AccessTokenExtension#push_to_streaming_api`` publishes ``{"event": "kill"}`` on
  ``timeline:access_token:<id>`` when a token is revoked, and the streaming server ends the
  response on it (``onKill``). A client that connects again is refused (401).

Switches for tests (``/sandbox/streaming``): ``enabled`` (off: new connections answer 503,
as a streaming server that is down behind its proxy), ``heartbeat_seconds``, and
``POST /sandbox/streaming/drop``, which ends every open stream at once.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, has_request_context, jsonify, request

import sandbox.api as mastodon_api
from sandbox import scopes
from sandbox.control import json_body
from sandbox.entities import status_json
from sandbox.errors import Invalid
from sandbox.state import current_state
from sandbox.store import Account, SandboxStore, Status

bp = Blueprint("sandbox_streaming", __name__)

EXTENSION = "postgate_sandbox_streaming"
HEARTBEAT_SECONDS = 15.0  # streaming/index.js: setInterval(() => res.write(':thump\n'), 15000)
_DROP = ("", "")


@dataclass
class StreamHub:
    """Open streams per account; events are rendered once and queued to each of them."""

    enabled: bool = True
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    _streams: dict[int, set[queue.SimpleQueue[tuple[str, str]]]] = field(default_factory=dict)
    _tokens: dict[queue.SimpleQueue[tuple[str, str]], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, account_id: int, token: str = "") -> queue.SimpleQueue[tuple[str, str]]:
        stream: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        with self._lock:
            self._streams.setdefault(account_id, set()).add(stream)
            self._tokens[stream] = token
        return stream

    def close(self, account_id: int, stream: queue.SimpleQueue[tuple[str, str]]) -> None:
        with self._lock:
            self._streams.get(account_id, set()).discard(stream)
            self._tokens.pop(stream, None)

    def kill_token(self, token: str) -> int:
        """End the streams opened with ``token`` (it was revoked); how many there were."""
        with self._lock:
            streams = [s for s, used in self._tokens.items() if token and used == token]
        for stream in streams:
            stream.put(_DROP)
        return len(streams)

    def listening(self, account_id: int) -> bool:
        with self._lock:
            return bool(self._streams.get(account_id))

    def send(self, account_id: int, event: str, payload: str) -> None:
        with self._lock:
            streams = list(self._streams.get(account_id, ()))
        for stream in streams:
            stream.put((event, payload))

    def drop(self) -> int:
        """End every open stream; how many there were."""
        with self._lock:
            streams = [s for group in self._streams.values() for s in group]
        for stream in streams:
            stream.put(_DROP)
        return len(streams)

    def connections(self) -> int:
        with self._lock:
            return sum(len(group) for group in self._streams.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "heartbeat_seconds": self.heartbeat_seconds,
            "connections": self.connections(),
        }


def init_app(app: Flask, store: SandboxStore) -> StreamHub:
    """Attach a hub to the app and feed it every committed change of a status."""
    hub = app.extensions[EXTENSION] = StreamHub()
    store.listen(lambda kind, status: _announce(hub, kind, status))
    app.register_blueprint(bp)
    return hub


def _hub() -> StreamHub:
    hub: StreamHub = current_app.extensions[EXTENSION]
    return hub


def _announce(hub: StreamHub, kind: str, status: Status) -> None:
    """Render the event for the author's streams (inside the request that made the change)."""
    if not hub.listening(status.account_id) or not has_request_context():
        return
    if kind == "deleted":
        hub.send(status.account_id, "delete", str(status.id))
        return
    state = current_state()
    author = state.store.account_by_id(status.account_id)
    if author is None:
        return
    body = mastodon_api.with_media(status_json(status, author, state.base()), status.id)
    event = "update" if kind == "created" else "status.update"
    hub.send(status.account_id, event, json.dumps(body, separators=(",", ":")))


def _streaming_error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _request_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    return token or request.args.get("access_token", "").strip()


def kill_token_streams(token: str) -> int:
    """End the open streams of a token just revoked (``POST /oauth/revoke``)."""
    hub: StreamHub | None = current_app.extensions.get(EXTENSION)
    return hub.kill_token(token) if hub is not None else 0


def _token_account() -> Account | str | None:
    """The token's account, or the error message the streaming server answers."""
    token = _request_token()
    if not token:
        return "Missing access token"
    store = current_state().store
    owner, revoked = store.token_owner(token)
    if owner is None or revoked:
        return "Invalid access token"
    if not scopes.holds_any(store, token, scopes.READ_STATUSES):
        return "Access token does not have the required scopes"
    return owner


@bp.get("/api/v1/streaming/health")
def health() -> Response:
    return Response("OK", mimetype="text/plain")


@bp.get("/api/v1/streaming/user")
def user_stream() -> Response:
    """The caller's home timeline events, until the client goes or the stream is dropped."""
    account = _token_account()
    if isinstance(account, str) or account is None:
        return _streaming_error(401, account or "Invalid access token")
    hub = _hub()
    if not hub.enabled:
        return _streaming_error(503, "Service Unavailable")
    stream = hub.open(account.id, _request_token())
    response = Response(
        _events(hub, account.id, stream, hub.heartbeat_seconds),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    response.direct_passthrough = True
    return response


def _events(
    hub: StreamHub,
    account_id: int,
    stream: queue.SimpleQueue[tuple[str, str]],
    heartbeat: float,
) -> Iterator[bytes]:
    try:
        yield b":)\n"
        while True:
            try:
                event, payload = stream.get(timeout=heartbeat)
            except queue.Empty:
                yield b":thump\n"
                continue
            if (event, payload) == _DROP:
                return
            yield f"event: {event}\ndata: {payload}\n\n".encode()
    finally:
        hub.close(account_id, stream)


@bp.route("/sandbox/streaming", methods=["GET", "PUT"])
def settings() -> Response:
    """Read or change ``enabled`` and ``heartbeat_seconds``; ``connections`` is read-only."""
    hub = _hub()
    if request.method == "PUT":
        changes = json_body()
        unknown = set(changes) - {"enabled", "heartbeat_seconds"}
        if unknown:
            raise Invalid(f"unknown streaming setting: {sorted(unknown)[0]}")
        if "enabled" in changes:
            if not isinstance(changes["enabled"], bool):
                raise Invalid("enabled must be true or false")
            hub.enabled = changes["enabled"]
        if "heartbeat_seconds" in changes:
            value = changes["heartbeat_seconds"]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise Invalid("heartbeat_seconds must be a positive number")
            hub.heartbeat_seconds = float(value)
    return jsonify(hub.to_json())


@bp.post("/sandbox/streaming/drop")
def drop() -> Response:
    """End every open stream now, as a restarting streaming server or a proxy would."""
    return jsonify({"dropped": _hub().drop()})
