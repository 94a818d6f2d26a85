"""Test stores that start where the migrations would leave them, without running them.

Running every Alembic migration for each test's new SQLite store cost about a second a test
(more on a busy machine); a store migrated once per test process is copied instead, and
``init_store`` then finds nothing to upgrade. A store whose folder does not exist yet is left
to Postgate, so tests of how it creates a new instance still see it do so.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

_sqlite_template: list[Path] = []  # this process's store file at the newest schema


def _migrated_sqlite_template() -> Path:
    """A SQLite store migrated to the newest schema once per test process: a test's new store
    starts as a copy of it, the state the migrations would leave (about a second saved per
    test). ``init_store`` still runs on the copy, finding nothing to upgrade."""
    if not _sqlite_template:
        from postgate.store import migrate
        from postgate.store.db import get_store

        folder = tempfile.mkdtemp(prefix="postgate-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "postgate.db"
        store = get_store(f"sqlite:///{path}")
        migrate.upgrade(store)
        store.dispose()
        _sqlite_template.append(path)
    return _sqlite_template[0]


def start_from_migrated_copy(database_url: str) -> None:
    """Put a copy of the migrated store where a new SQLite store is about to be made."""
    url = make_url(database_url)
    store_file = Path(url.database or ":memory:")
    fresh = store_file.parent.is_dir() and not store_file.exists()
    if url.get_backend_name() == "sqlite" and fresh:
        shutil.copy2(_migrated_sqlite_template(), store_file)  # keeps its 0600
