"""Engines and sessions, one engine per process.

A connection pool must never cross a fork (RQ runs each job in a forked work horse). The
engine itself may: :func:`get_store` notices a new process id and calls
``engine.dispose(close=False)``, as SQLAlchemy advises, which drops the inherited connections
without closing the parent's and keeps the engine's compiled-statement cache, so a work horse
does not recompile every query (about 0.1 s a job). SQLite
runs in WAL mode and opens every transaction with ``BEGIN IMMEDIATE``: writers queue on the
busy timeout instead of failing on a read-to-write upgrade, which keeps the audit chain and
the post claims serialised across processes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, Executable, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DataError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from postgate.errors import PostgateError, ValidationFailed

log = logging.getLogger("postgate.store")

_stores: dict[str, Store] = {}


class Store:
    """An engine and its session factory for one database URL."""

    def __init__(self, url: str):
        self.url = url
        self.pid = os.getpid()
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "after_commit", _run_after_commit)
        event.listen(self._sessions, "after_rollback", _forget_after_commit)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(postgate_read_only=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """A session for reading: never committed (use :meth:`transaction` to write). On
        SQLite it opens a deferred transaction, so readers never queue behind writers."""
        return self._read_sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on error."""
        with self._sessions() as session, session.begin():
            session.info[WRITABLE] = True
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


AFTER_COMMIT = "postgate_after_commit"
WRITABLE = "postgate_writable"


def rows_changed(session: Session, statement: Executable) -> int:
    """How many rows an UPDATE or DELETE changed: the answer of a compare-and-set. (SQLAlchemy
    types ``Session.execute`` as a plain ``Result``, which has no row count.)"""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


def is_writable(session: Session) -> bool:
    """Whether ``session`` came from :meth:`Store.transaction` (its work will commit)."""
    return bool(session.info.get(WRITABLE))


Callback = TypeVar("Callback", bound=Callable[[], None])


def call_after_commit(session: Session, key: str, callback: Callback) -> Callback:
    """Run ``callback`` once ``session``'s transaction has committed (never if it rolls
    back); a second callback under the same ``key`` in one transaction is dropped and the
    first returned, so that a caller can gather the transaction's work into it."""
    return cast(Callback, session.info.setdefault(AFTER_COMMIT, {}).setdefault(key, callback))


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(AFTER_COMMIT, {}).values():
        callback()


def _forget_after_commit(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


PING_IDLE_SECONDS = 1.0  # a pooled connection idle this long is pinged before use
_RETURNED = "postgate_returned_at"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    else:
        engine = create_engine(url, future=True)
        event.listen(engine, "connect", _note_returned)
        event.listen(engine, "checkin", _note_returned)
        event.listen(engine, "checkout", _pinger(engine.dialect))
    event.listen(engine, "handle_error", _refuse_unstorable)
    return engine


def _note_returned(_dbapi_connection: Any, record: Any, *_: Any) -> None:
    record.info[_RETURNED] = time.monotonic()


def _pinger(dialect: Any) -> Callable[[Any, Any, Any], None]:
    """SQLAlchemy's ``pool_pre_ping``, for connections that sat idle in the pool (a second
    or more): a server restarted, a failover or an idle timeout ends connections while they
    wait there. One that was returned a moment ago is used at once: pinging it before each
    transaction cost a round trip per transaction (three per publish). Should the server go
    away between the return and the next use, that transaction fails on a disconnection,
    which invalidates the whole pool (SQLAlchemy), as it fails anyway when the server goes
    away during a transaction; callers already treat both alike (503, a job retried, a
    claim read back)."""

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < PING_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc

    return ping_if_idle


def _refuse_unstorable(context: ExceptionContext) -> BaseException | None:
    """A value the store cannot hold is the caller's input at fault (422), not a crash (500).

    Input is checked where it enters (``postgate.inputs``, ``StoreInteger``); this is the net
    under it, for whatever still reaches the database: a text longer than its column or an
    integer out of range (PostgreSQL's ``DataError``), a NUL character (psycopg refuses it
    before sending), an integer past 2^63 (SQLite's ``OverflowError``), a lone surrogate
    (``UnicodeEncodeError``). A domain error raised while binding (``StoreInteger``) is
    raised as it is, not wrapped in SQLAlchemy's ``StatementError``.
    """
    original = context.original_exception
    if isinstance(original, PostgateError):
        return original
    if (
        isinstance(context.sqlalchemy_exception, DataError)
        or isinstance(original, (OverflowError, UnicodeEncodeError))
        or _is_nul_refusal(original)
    ):
        log.warning("the store refused a value: %s", str(original).splitlines()[0][:200])
        return ValidationFailed(
            "a value is too long, out of range or holds a character the store cannot keep"
        )
    return None


def _is_nul_refusal(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and "NUL" in str(exc)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        create_private(Path(path))
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below rule
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        reading = conn.get_execution_options().get("postgate_read_only", False)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600), in a folder created 0700,
    before SQLite opens it: SQLite gives its ``-wal`` and ``-shm`` files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def get_store(url: str) -> Store:
    """The store for ``url`` in this process: created on first use; after a fork, the same
    engine with a fresh connection pool."""
    store = _stores.get(url)
    if store is None:
        store = _stores[url] = Store(url)
    elif store.pid != os.getpid():
        store.engine.dispose(close=False)  # the parent's connections stay the parent's
        store.pid = os.getpid()
    return store


def release_connections() -> None:
    """Close this process's pooled connections but keep the engines (before forking)."""
    for store in _stores.values():
        if store.pid == os.getpid():
            store.engine.dispose()


def forget_stores() -> None:
    """Drop this process's engines entirely (between tests)."""
    for store in _stores.values():
        if store.pid == os.getpid():
            store.dispose()
    _stores.clear()
