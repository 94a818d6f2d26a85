"""Reading stores and archives for the backup tests: rows of a table, a writer that keeps
the audit chain moving, a second database, an archive with one member changed."""

from __future__ import annotations

import io
import tarfile
import threading
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from postgate import audit
from postgate.runtime import Runtime
from postgate.settings import load_settings
from postgate.store.db import forget_stores
from tests.helpers import wait_until

EVIDENCE_TEXT = "Offre exclusive : envoyez vos identifiants ici"


def rows(url: str, model: type) -> dict[int, dict]:
    """Every row of ``model``'s table, by id, as plain values."""
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            return {
                r.id: {c.key: getattr(r, c.key) for c in inspect(model).column_attrs}
                for r in db.scalars(select(model))
            }
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Keeps appending audit entries (each moving the chain's head) until stopped."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(daemon=True)
        self.rt, self.count, self.stop = rt, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.rt.store.transaction() as db:
                self.rt.audit(
                    db, audit.Event.CONFIG_RULES, actor="writer", details={"n": self.count}
                )
            self.count += 1

    def wait_for(self, count: int) -> None:
        wait_until(lambda: self.count >= count, 60, f"{count} audit entries", step=0.01)


def new_database(url: str, *, with_schema: bool):
    """A new PostgreSQL database reached like ``url`` (same search path); and its dropper."""
    name = f"pgrestore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    new_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    if with_schema:
        engine = create_engine(new_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        engine.dispose()

    def drop() -> None:
        forget_stores()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()

    return new_url, drop


def rewrite(archive: Path, dest: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data) -> (name, data) | None`` applied."""
    with tarfile.open(archive) as source, tarfile.open(dest, "w:gz") as out:
        for info in source:
            data = source.extractfile(info).read()
            changed = change(info.name, data)
            if changed is None:
                continue
            info.name, data = changed
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return dest


def fresh(target: dict) -> Runtime:
    forget_stores()
    return Runtime(load_settings(env=target))
