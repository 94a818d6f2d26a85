"""SQLite storage of sandbox accounts, tokens and statuses.

The sandbox keeps its own file, never Postgate's store, so a test can wipe or inspect
the "platform" independently. One connection guarded by a lock keeps every
check-then-write (idempotency keys, deletes) atomic across server threads.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sandbox.errors import Forbidden, Invalid, NotFound

MAX_CHARS = 500
IDEMPOTENCY_TTL_MS = 3600 * 1000
VISIBILITIES = ("public", "unlisted", "private", "direct")

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    text TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER,
    edited_at INTEGER
);
CREATE INDEX IF NOT EXISTS statuses_by_account ON statuses(account_id, id);
CREATE TABLE IF NOT EXISTS idempotency (
    account_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    status_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);
"""
_PAGE = """
SELECT id, account_id, text, visibility, created_at, deleted_at, edited_at FROM statuses
WHERE account_id = ? AND deleted_at IS NULL
  AND (? OR visibility IN ('public', 'unlisted'))
  AND (? IS NULL OR id < ?) AND (? IS NULL OR id > ?)
"""
PAGE_DESC = _PAGE + "ORDER BY id DESC LIMIT ?"
PAGE_ASC = _PAGE + "ORDER BY id ASC LIMIT ?"


@dataclass(frozen=True)
class Account:
    """A sandbox account; ``username`` is the name Postgate uses for it."""

    id: int
    username: str
    created_at: int  # epoch milliseconds


@dataclass(frozen=True)
class Status:
    """A status; ``deleted_at`` is set instead of removing the row."""

    id: int
    account_id: int
    text: str
    visibility: str
    created_at: int  # epoch milliseconds
    deleted_at: int | None = None
    edited_at: int | None = None  # the last edit (``sandbox.edits``), None if never edited


def now_ms() -> int:
    """Current time in epoch milliseconds, the unit of every stored time."""
    return time.time_ns() // 1_000_000


def validate_text(text: str, length: int | None = None, max_chars: int = MAX_CHARS) -> None:
    """Mastodon's checks on a status text (``length`` as the server counts it)."""
    if not text.strip():
        raise Invalid("Validation failed: Text can't be blank")
    if (len(text) if length is None else length) > max_chars:
        raise Invalid(f"Validation failed: Text character limit of {max_chars} exceeded")


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a sandbox file written by an older version up to the schema above."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(statuses)")}
    if "edited_at" not in columns:
        db.execute("ALTER TABLE statuses ADD COLUMN edited_at INTEGER")


class SandboxStore:
    """All sandbox data access; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        _add_missing_columns(self._db)
        self._last_id = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM statuses").fetchone()[0]
        self._listeners: list[Callable[[str, Status], None]] = []

    def listen(self, listener: Callable[[str, Status], None]) -> None:
        """Call ``listener(kind, status)`` after each committed change of a status: ``kind``
        is ``created``, ``edited`` or ``deleted`` (the user stream, ``sandbox.streaming``)."""
        self._listeners.append(listener)

    def changed(self, kind: str, status: Status) -> None:
        """Tell the listeners; called outside the lock, once the change is committed."""
        for listener in self._listeners:
            listener(kind, status)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the store's lock: for the behaviour modules (``sandbox.edits``,
        ``sandbox.oauth``) that keep tables of their own in the same file."""
        with self._lock:
            yield self._db

    def close(self) -> None:
        """Close the connection (tests and ``serve`` shutdown)."""
        with self._lock:
            self._db.close()

    def account(self, name: str, *, create: bool = True) -> Account | None:
        """The account called ``name``, created on first use unless ``create`` is False."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, username, created_at FROM accounts WHERE username = ?", (name,)
            ).fetchone()
            if row is None and create:
                self._db.execute(
                    "INSERT INTO accounts (username, created_at) VALUES (?, ?)", (name, now_ms())
                )
                return self.account(name, create=False)
            return Account(*row) if row else None

    def account_by_id(self, account_id: int) -> Account | None:
        """The account with this numeric id, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, username, created_at FROM accounts WHERE id = ?", (account_id,)
            ).fetchone()
        return Account(*row) if row else None

    def count_live(self, account_id: int) -> int:
        """Number of live statuses, Mastodon's ``statuses_count``."""
        with self._lock:
            sql = "SELECT COUNT(*) FROM statuses WHERE account_id = ? AND deleted_at IS NULL"
            return self._db.execute(sql, (account_id,)).fetchone()[0]

    def issue_token(self, account_id: int) -> str:
        """A new bearer token for the account."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens (token, account_id, created_at) VALUES (?, ?, ?)",
                (token, account_id, now_ms()),
            )
        return token

    def token_owner(self, token: str) -> tuple[Account | None, bool]:
        """``(account, revoked)`` for a token; ``(None, False)`` when unknown."""
        with self._lock:
            row = self._db.execute(
                "SELECT account_id, revoked_at FROM tokens WHERE token = ?", (token,)
            ).fetchone()
            if row is None:
                return None, False
            return self.account_by_id(row[0]), row[1] is not None

    def revoke_token(self, token: str) -> bool:
        """Revoke a token; False when it was unknown or already revoked."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL",
                (now_ms(), token),
            )
        return cursor.rowcount == 1

    def create_status(
        self,
        account_id: int,
        text: str,
        visibility: str = "public",
        idempotency_key: str = "",
        *,
        idempotency_ttl_ms: int = IDEMPOTENCY_TTL_MS,
    ) -> tuple[Status, bool]:
        """Store a status; ``(status, False)`` when the idempotency key was seen within its TTL
        (Mastodon: one hour). The caller validates the text as the server counts it."""
        if visibility not in VISIBILITIES:
            raise Invalid("Validation failed: Visibility is not included in the list")
        with self._lock:
            now = now_ms()
            if idempotency_key:
                earlier = self._idempotent_status(
                    account_id, idempotency_key, now - idempotency_ttl_ms
                )
                if earlier is not None:
                    return earlier, False
            status = Status(self._next_id(now), account_id, text, visibility, now)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._insert_status(status, idempotency_key)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        self.changed("created", status)
        return status, True

    def _insert_status(self, status: Status, idempotency_key: str) -> None:
        self._db.execute(
            "INSERT INTO statuses (id, account_id, text, visibility, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (status.id, status.account_id, status.text, status.visibility, status.created_at),
        )
        if idempotency_key:
            self._db.execute(
                "INSERT OR REPLACE INTO idempotency (account_id, key, status_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                (status.account_id, idempotency_key, status.id, status.created_at),
            )

    def _idempotent_status(self, account_id: int, key: str, after: int) -> Status | None:
        """The status an earlier request with this key created; Mastodon 404s if it was deleted."""
        row = self._db.execute(
            "SELECT status_id FROM idempotency WHERE account_id = ? AND key = ? AND created_at > ?",
            (account_id, key, after),
        ).fetchone()
        if row is None:
            return None
        status = self.status(row[0])
        if status is None or status.deleted_at is not None:
            raise NotFound()
        return status

    def _next_id(self, now: int) -> int:
        """Snowflake-like id: milliseconds shifted left 16 bits, strictly increasing."""
        self._last_id = max(now << 16, self._last_id + 1)
        return self._last_id

    def status(self, status_id: int) -> Status | None:
        """A status by id, deleted or not."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, account_id, text, visibility, created_at, deleted_at, edited_at"
                " FROM statuses WHERE id = ?",
                (status_id,),
            ).fetchone()
        return Status(*row) if row else None

    def delete_status(self, status_id: int, account_id: int) -> Status:
        """Mark a live status deleted; NotFound if absent or gone, Forbidden if not the owner's."""
        with self._lock:
            status = self.status(status_id)
            if status is None or status.deleted_at is not None:
                raise NotFound()
            if status.account_id != account_id:
                raise Forbidden()
            deleted_at = now_ms()
            sql = "UPDATE statuses SET deleted_at = ? WHERE id = ?"
            self._db.execute(sql, (deleted_at, status_id))
        deleted = replace(status, deleted_at=deleted_at)
        self.changed("deleted", deleted)
        return deleted

    def statuses_page(
        self,
        account_id: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        include_private: bool = True,
    ) -> list[Status]:
        """A page of live statuses, newest first, paginated like Mastodon.

        ``min_id`` asks for the statuses immediately newer than it (so the query runs
        oldest first and the page is reversed), ``since_id`` for the newest ones above it.
        """
        lower = min_id if min_id is not None else since_id
        sql = PAGE_ASC if min_id is not None else PAGE_DESC
        args = (account_id, include_private, max_id, max_id, lower, lower, limit)
        with self._lock:
            page = [Status(*row) for row in self._db.execute(sql, args).fetchall()]
        return page[::-1] if min_id is not None else page

    def live_statuses(self, account_id: int) -> list[Status]:
        """Every live status of the account, newest first (the control endpoint's view)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, account_id, text, visibility, created_at, deleted_at, edited_at"
                " FROM statuses WHERE account_id = ? AND deleted_at IS NULL ORDER BY id DESC",
                (account_id,),
            ).fetchall()
        return [Status(*row) for row in rows]
