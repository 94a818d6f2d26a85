"""Test stores that start where the migrations would leave them, without running them.

Running every Alembic migration for each test's new store cost about a second a test (more on
a busy machine). On SQLite, a store migrated once per test process is copied instead; on
PostgreSQL, a schema a previous test left at the newest revision is emptied (a ``DELETE`` of
the tables that hold rows) and given back the rows the migrations themselves insert. Either
way ``init_store`` then finds nothing to upgrade. A SQLite store whose folder does not exist
yet is left to Postgate, and a test that never asks for a runtime gets an empty PostgreSQL
schema, so tests of how Postgate creates a new instance still see it do so.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import MetaData, create_engine, insert, text
from sqlalchemy.engine import Connection, make_url

_sqlite_template: list[Path] = []  # this process's store file at the newest schema
# What the migrations alone leave in a new PostgreSQL schema: its tables, and their rows.
_postgres_seed: dict[str, list[dict]] = {}
_postgres_tables: list[MetaData] = []  # those tables, reflected (for their order and inserts)


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


def reset_postgres(url: str, *, migrated: bool) -> None:
    """Leave the schema of ``url`` empty of data: at the newest revision when ``migrated``
    (emptied in place when a previous test left it there, else rebuilt), without any table
    otherwise."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if migrated and _at_head_as_migrated(conn):
                _empty_keeping_schema(conn)
                return
            _drop_tables(conn)
        if migrated:
            _migrate_and_remember_seed(url)
    finally:
        engine.dispose()


def _tables(conn: Connection) -> set[str]:
    query = text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return set(conn.execute(query).scalars())


def _drop_tables(conn: Connection) -> None:
    for table in _tables(conn):
        conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))


def _at_head_as_migrated(conn: Connection) -> bool:
    """True when the schema has exactly the tables the migrations make, at the newest revision
    (a test that downgraded, or added a table, leaves it to be rebuilt)."""
    from postgate.store.migrate import head_revision

    if not _postgres_seed or _tables(conn) != set(_postgres_seed):
        return False
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return revision == [head_revision()]


def _empty_keeping_schema(conn: Connection) -> None:
    """Delete every row, children first, restart the sequences that were used (as
    ``TRUNCATE ... RESTART IDENTITY`` would), and put back the migrations' own rows.

    ``DELETE`` of the few tables a test filled, rather than ``TRUNCATE`` of all of them: on
    tables this small, truncating some thirty tables (new files for each and its indexes)
    took most of a second a test; this takes a few milliseconds."""
    metadata = _reflected(conn)
    data = [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]
    filled = _filled(conn, [t.name for t in data])
    for table in data:
        if table.name in filled:
            conn.execute(table.delete())
    used = text(
        "SELECT sequencename FROM pg_sequences"
        " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
    )
    for sequence in conn.execute(used).scalars().all():
        conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    for table, rows in _postgres_seed.items():
        if rows and table != "alembic_version":
            conn.execute(insert(metadata.tables[table]), rows)


def _filled(conn: Connection, tables: list[str]) -> set[str]:
    """Which of ``tables`` hold at least one row (one query)."""
    if not tables:
        return set()
    query = " UNION ALL ".join(
        f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables
    )
    return set(conn.execute(text(query)).scalars())


def _reflected(conn: Connection) -> MetaData:
    """The migrated schema's tables, reflected once per test process (the migrations are the
    same for every test of the run; a rebuilt schema is reflected again)."""
    if not _postgres_tables:
        metadata = MetaData()
        metadata.reflect(conn, only=sorted(_postgres_seed))
        _postgres_tables.append(metadata)
    return _postgres_tables[0]


def _migrate_and_remember_seed(url: str) -> None:
    from postgate.store import migrate
    from postgate.store.db import get_store

    store = get_store(url)
    try:
        migrate.upgrade(store)
    finally:
        store.dispose()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _postgres_seed.clear()
            _postgres_tables.clear()
            for table in _tables(conn):
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
                _postgres_seed[table] = [dict(row) for row in rows]
    finally:
        engine.dispose()
