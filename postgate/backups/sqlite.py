"""SQLite stores: a copy with the online backup API, and putting a copy in place.

``Connection.backup`` with its default of all pages in one step copies one consistent
snapshot: it reads inside a single read transaction, which in WAL mode never blocks the
writers (they carry on while it copies) and never sees half of one of their transactions.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from postgate.errors import OperationError


def database_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise OperationError(f"{url} is not a SQLite file that can be backed up")
    return Path(database)


def snapshot(url: str, dest: Path) -> dict[str, Any]:
    """Copy the store at ``url`` into ``dest``; returns what the manifest says of SQLite."""
    source_path = database_path(url)
    if not source_path.exists():
        raise OperationError(f"there is no store at {source_path}: run `postgate init` first")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(dest)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    check_integrity(dest)
    return {"sqlite_version": sqlite3.sqlite_version}


def check_integrity(path: Path) -> None:
    with sqlite3.connect(path) as db:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise OperationError(f"the copy of the store fails SQLite's integrity check: {verdict}")


@contextmanager
def connect_file(path: Path) -> Iterator[Connection]:
    """A SQLAlchemy connection to a copy, to read what the manifest records from it."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def install(copy: Path, url: str) -> None:
    """Put ``copy`` where the store at ``url`` lives (nothing may have it open). The old
    file's WAL and shared-memory files go first: left beside the new file they would be
    replayed into it."""
    target = database_path(url)
    check_integrity(copy)
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(copy, target)
