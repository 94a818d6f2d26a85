"""Status edits: ``PUT /api/v1/statuses/:id``, ``edited_at`` and ``GET .../history``.

Mastodon (3.5 and later) lets the author rewrite a status in place: the id, ``created_at``
and URL stay, ``content`` changes and ``edited_at`` says when. ``UpdateStatusService``
keeps every version as a ``StatusEdit``, the first being the original text at its creation
time; ``GET /api/v1/statuses/:id/history`` lists them oldest first. Another account's
status is "Record not found", as ``Status.where(account: current_account).find`` answers.

An attacker holding the token can thus rewrite one of Postgate's own posts, which Postgate
must notice and take down; ``PUT /sandbox/accounts/<name>/statuses/<id>`` does that without
faults, for ``postgate sandbox post --edit``. The switch ``edits`` (:mod:`sandbox.switches`)
turns the API routes into 404s, like a server without edits.
"""

from __future__ import annotations

import sqlite3

from flask import Blueprint, Response, jsonify, request

from sandbox import media as sandbox_media
from sandbox import scopes
from sandbox.api import form_data, media_ids_of, record_id, string_field, viewer, visible_status
from sandbox.control import json_body, named_account
from sandbox.entities import account_json, iso_time, status_json
from sandbox.errors import BadRequest, NotFound
from sandbox.realism import rendered
from sandbox.state import current_state
from sandbox.store import SandboxStore, Status, now_ms, validate_text
from sandbox.switches import current_realism

bp = Blueprint("sandbox_edits", __name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS status_edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    status_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS status_edits_by_status ON status_edits(status_id, id);
"""


def create_schema(store: SandboxStore) -> None:
    """The edits table, in the sandbox's own file."""
    with store.connection() as db:
        db.executescript(SCHEMA)


def edit_status(store: SandboxStore, status_id: int, account_id: int, text: str) -> Status:
    """Rewrite the account's live status; the first edit also keeps the original version."""
    validate_text(text)
    with store.connection() as db:
        status = store.status(status_id)
        if status is None or status.deleted_at is not None or status.account_id != account_id:
            raise NotFound()
        edited_at = max(now_ms(), status.created_at + 1)
        db.execute("BEGIN IMMEDIATE")
        try:
            first = "SELECT 1 FROM status_edits WHERE status_id = ?"
            if db.execute(first, (status_id,)).fetchone() is None:
                _insert(db, status_id, status.text, status.created_at)
            _insert(db, status_id, text, edited_at)
            sql = "UPDATE statuses SET text = ?, edited_at = ? WHERE id = ?"
            db.execute(sql, (text, edited_at, status_id))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    edited = store.status(status_id)
    assert edited is not None
    store.changed("edited", edited)
    return edited


def _insert(db: sqlite3.Connection, status_id: int, text: str, created_at: int) -> None:
    db.execute(
        "INSERT INTO status_edits (status_id, text, created_at) VALUES (?, ?, ?)",
        (status_id, text, created_at),
    )


def history(store: SandboxStore, status: Status) -> list[tuple[str, int]]:
    """Every version ``(text, created_at)``, oldest first; an unedited status has one."""
    with store.connection() as db:
        rows = db.execute(
            "SELECT text, created_at FROM status_edits WHERE status_id = ? ORDER BY id",
            (status.id,),
        ).fetchall()
    return [(row[0], row[1]) for row in rows] or [(status.text, status.created_at)]


def _edits_enabled() -> None:
    if not current_realism().edits:
        raise NotFound()


@bp.put("/api/v1/statuses/<status_id>")
def update_status(status_id: str) -> Response:
    """Edit the caller's own status (``status`` is the new text)."""
    _edits_enabled()
    account = viewer(required=True, needs=scopes.WRITE_STATUSES)
    assert account is not None
    state = current_state()
    data = form_data()
    edited = edit_status(
        state.store, record_id(status_id), account.id, string_field(data, "status")
    )
    if "media_ids" in data or "media_ids[]" in request.form:  # else the media stay
        media = sandbox_media.media_state()
        kept = [m.id for m in media.of_status(edited.id)]
        wanted = [int(i) for i in media_ids_of(data) if str(i).isdigit() and int(i) in kept]
        media.keep_only(edited.id, wanted)
    return jsonify(status_json(edited, account, state.base()))


@bp.get("/api/v1/statuses/<status_id>/history")
def status_history(status_id: str) -> Response:
    """The StatusEdit entities of a status the caller may see, oldest first."""
    _edits_enabled()
    status, author = visible_status(status_id, viewer(required=False, needs=scopes.READ_STATUSES))
    state = current_state()
    author_json = account_json(author, state.base())
    return jsonify(
        [
            {
                "content": rendered(text, state.base()).content,
                "spoiler_text": "",
                "sensitive": False,
                "created_at": iso_time(created_at),
                "account": author_json,
                "poll": None,
                "media_attachments": [],
                "emojis": [],
            }
            for text, created_at in history(state.store, status)
        ]
    )


@bp.put("/sandbox/accounts/<name>/statuses/<status_id>")
def edit_direct(name: str, status_id: str) -> Response:
    """Edit bypassing Postgate and faults, as an attacker holding the token would."""
    account = named_account(name, create=False)
    if account is None:
        raise NotFound()
    text = json_body().get("text", "")
    if not isinstance(text, str):
        raise BadRequest("text must be a string")
    state = current_state()
    edited = edit_status(state.store, record_id(status_id), account.id, text)
    return jsonify(status_json(edited, account, state.base()))
