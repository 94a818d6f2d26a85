"""Media on the sandbox, as Mastodon handles it, so publishing with images runs offline.

What Mastodon does (mastodon/mastodon, app/controllers/api/v2/media_controller.rb and
api/v1/media_controller.rb; https://docs.joinmastodon.org/methods/media/):

- ``POST /api/v2/media``, multipart ``file`` and ``description``: a MediaAttachment, with
  ``200`` when it is processed already and ``202`` (``url: null``) while it is processed;
  ``422`` ``File type of uploaded media could not be verified`` for a file that is no image.
- ``GET /api/v1/media/:id``: ``206`` while processing, ``200`` once ready; only the owner's
  media not yet attached to a status (others: ``404``).
- ``POST /api/v1/statuses`` with ``media_ids``: each must be the caller's, unattached and
  processed, else ``422`` (``Cannot attach files that have not finished processing. Try
  again in a moment!``); at most 4.

The processing delay is switchable (``media_processing_ms`` of ``create_sandbox_app``, or
``PUT /sandbox/media {"processing_ms": N}``): 0 answers ``200`` at once; more answers ``202``
and ``206`` until the delay has passed, as a real server busy with thumbnails does.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

import sandbox.api as mastodon_api  # its token check; api imports this module too
from sandbox import scopes
from sandbox.errors import BadRequest, Invalid, NotFound
from sandbox.state import current_state
from sandbox.store import SandboxStore, now_ms

bp = Blueprint("sandbox_media", __name__)

EXTENSION = "postgate_sandbox_media"
MAX_MEDIA = 4
MAX_DESCRIPTION = 1500
MAX_BYTES = 16 * 1024 * 1024
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    data BLOB NOT NULL,
    mime TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ready_at INTEGER NOT NULL,
    status_id INTEGER,
    position INTEGER
);
CREATE INDEX IF NOT EXISTS media_by_status ON media(status_id, position);
"""
_SELECT = "SELECT id, account_id, mime, sha256, description, created_at, ready_at, status_id"
BY_ID = _SELECT + " FROM media WHERE id = ?"
BY_STATUS = _SELECT + " FROM media WHERE status_id = ? ORDER BY position"


@dataclass(frozen=True)
class Media:
    id: int
    account_id: int
    mime: str
    sha256: str
    description: str
    created_at: int
    ready_at: int
    status_id: int | None

    def ready(self, now: int) -> bool:
        return now >= self.ready_at


class MediaState:
    """The media table (in the sandbox's own SQLite file) and the processing delay."""

    def __init__(self, store: SandboxStore, processing_ms: int) -> None:
        self.store = store
        self.processing_ms = check_processing(processing_ms)
        self._lock = threading.Lock()
        with store.connection() as db:
            db.executescript(SCHEMA)

    def add(self, account_id: int, data: bytes, mime: str, description: str) -> Media:
        now = now_ms()
        with self.store.connection() as db:
            cursor = db.execute(
                "INSERT INTO media (account_id, data, mime, sha256, description, created_at,"
                " ready_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    account_id,
                    sqlite3.Binary(data),
                    mime,
                    hashlib.sha256(data).hexdigest(),
                    description,
                    now,
                    now + self.processing_ms,
                ),
            )
            assert cursor.lastrowid is not None
            found = self.get(cursor.lastrowid)
        assert found is not None
        return found

    def get(self, media_id: int) -> Media | None:
        with self.store.connection() as db:
            row = db.execute(BY_ID, (media_id,)).fetchone()
        return Media(*row) if row else None

    def data(self, media_id: int) -> bytes | None:
        with self.store.connection() as db:
            row = db.execute("SELECT data FROM media WHERE id = ?", (media_id,)).fetchone()
        return bytes(row[0]) if row else None

    def of_status(self, status_id: int) -> list[Media]:
        with self.store.connection() as db:
            rows = db.execute(BY_STATUS, (status_id,)).fetchall()
        return [Media(*row) for row in rows]

    def check_attachable(self, account_id: int, raw_ids: list[Any]) -> list[int]:
        """The ids a status may take, or the 422 Mastodon answers."""
        if len(raw_ids) > MAX_MEDIA:
            raise Invalid(f"Validation failed: Media attachments are limited to {MAX_MEDIA}")
        ids, now = [], now_ms()
        for raw in raw_ids:
            media = self.get(_record_id(raw))
            if media is None or media.account_id != account_id or media.status_id is not None:
                raise NotFound()
            if not media.ready(now):
                raise Invalid(
                    "Cannot attach files that have not finished processing. Try again in a moment!"
                )
            ids.append(media.id)
        return ids

    def keep_only(self, status_id: int, ids: list[int]) -> None:
        """An edit naming ``media_ids``: the status keeps those, in that order, and loses
        the others (Mastodon's ``PUT /api/v1/statuses/:id``; absent, the media stay)."""
        with self.store.connection() as db:
            db.execute("UPDATE media SET status_id = NULL WHERE status_id = ?", (status_id,))
        self.attach(status_id, ids)

    def attach(self, status_id: int, ids: list[int]) -> None:
        with self.store.connection() as db:
            for position, media_id in enumerate(ids):
                db.execute(
                    "UPDATE media SET status_id = ?, position = ? WHERE id = ?",
                    (status_id, position, media_id),
                )


def check_processing(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 600_000:
        raise ValueError("processing_ms must be a whole number of milliseconds, 0 to 600000")
    return value


def init_app(app: Flask, store: SandboxStore, processing_ms: int = 0) -> None:
    app.extensions[EXTENSION] = MediaState(store, processing_ms)
    app.register_blueprint(bp)


def media_state() -> MediaState:
    return current_app.extensions[EXTENSION]


def _record_id(raw: Any) -> int:
    text = str(raw)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), None)


def attachment_json(media: Media, base: str, now: int) -> dict[str, Any]:
    """Mastodon's MediaAttachment entity (``url`` null while processing)."""
    ready = media.ready(now)
    url = f"{base}/system/media/{media.id}/original" if ready else None
    return {
        "id": str(media.id),
        "type": "gifv" if media.mime == "image/gif" else "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "text_url": None,
        "meta": {},
        "description": media.description or None,
        "blurhash": None,
    }


def attachments_of(status_id: int, base: str) -> list[dict[str, Any]]:
    """What a Status's ``media_attachments`` holds."""
    now = now_ms()
    return [attachment_json(m, base, now) for m in media_state().of_status(status_id)]


@bp.post("/api/v2/media")
def upload() -> tuple[Response, int]:
    account = mastodon_api.viewer(required=True, needs=scopes.WRITE_MEDIA)
    assert account is not None
    sent = request.files.get("file")
    if sent is None:
        raise Invalid("Validation failed: File can't be blank")
    data = sent.read(MAX_BYTES + 1)
    description = request.form.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION})")
    mime = _sniff(data)
    if mime is None or len(data) > MAX_BYTES:
        raise Invalid("File type of uploaded media could not be verified")
    state = current_state()
    media = media_state().add(account.id, data, mime, description)
    state.stats.add("media_uploads")
    now = now_ms()
    return jsonify(attachment_json(media, state.base(), now)), 200 if media.ready(now) else 202


@bp.get("/api/v1/media/<media_id>")
def show(media_id: str) -> tuple[Response, int]:
    account = mastodon_api.viewer(required=True, needs=scopes.WRITE_MEDIA)
    assert account is not None
    media = media_state().get(_record_id(media_id))
    if media is None or media.account_id != account.id or media.status_id is not None:
        raise NotFound()
    now = now_ms()
    body = attachment_json(media, current_state().base(), now)
    return jsonify(body), 200 if media.ready(now) else 206


@bp.get("/system/media/<media_id>/original")
def original(media_id: str) -> Response:
    """The file, once processed (public, as Mastodon's media files are)."""
    state = media_state()
    media = state.get(_record_id(media_id))
    data = state.data(media.id) if media is not None and media.ready(now_ms()) else None
    if media is None or data is None:
        raise NotFound()
    return Response(data, mimetype=media.mime)


@bp.route("/sandbox/media", methods=["GET", "PUT"])
def settings() -> Response:
    """Read or set the processing delay: ``{"processing_ms": N}``."""
    state = media_state()
    if request.method == "PUT":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "processing_ms" not in body:
            raise BadRequest('expected {"processing_ms": N}')
        try:
            state.processing_ms = check_processing(body["processing_ms"])
        except ValueError as exc:
            raise Invalid(str(exc)) from None
    return jsonify({"processing_ms": state.processing_ms})
