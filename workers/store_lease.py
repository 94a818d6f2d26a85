"""A lease in the store: one holder at a time, renewed by a heartbeat, lost to another.

The store-side twin of :class:`workers.lease.Lease`, with the same interface. A takedown's run
holds one beside its Redis lease (:mod:`workers.takedown`), so the store alone decides
which run works on a takedown: the rule still holds while Redis is down, when the workers'
reconcilers run takedowns themselves (:mod:`workers.takedown_without_redis`).

Taking the lease is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` (the row is free,
expired, or already ours), atomic on both stores; renewing is an ``UPDATE`` on our token, so
a run that stalled past its lease keeps it when nobody else took it meanwhile, and learns
it lost it (``lost``) when somebody did. Times are milliseconds by the database's
clock on PostgreSQL (workers on several machines) and by the process's on SQLite (one
machine).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

from sqlalchemy import delete, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from postgate.store.db import Store
from postgate.store.models import StoreLease as Row

log = logging.getLogger("postgate.lease")


class StoreLease:
    """A row of ``store_leases`` only its holder renews or deletes."""

    def __init__(self, store: Store, name: str, *, seconds: float, heartbeat: float) -> None:
        self.store, self.name = store, name
        self.seconds, self.heartbeat = seconds, heartbeat
        self.token = secrets.token_hex(16)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, *, wait: float = 0.0) -> bool:
        """Take the lease, waiting up to ``wait`` seconds for its holder to release it or
        to stop renewing it."""
        deadline = time.monotonic() + wait
        while not self._take():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
        self._stop = threading.Event()
        self.lost.clear()
        self._thread = threading.Thread(target=self._beat, name="postgate-lease", daemon=True)
        self._thread.start()
        return True

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            with self.store.transaction() as db:
                db.execute(delete(Row).where(Row.name == self.name, Row.token == self.token))
        except SQLAlchemyError:
            log.warning("could not release the lease %s; it expires by itself", self.name)

    def _take(self) -> bool:
        table = Row.__table__
        dialect = postgresql if self.store.dialect == "postgresql" else sqlite
        with self.store.transaction() as db:
            now = _now_ms(db, self.store.dialect)
            until = now + int(self.seconds * 1000)
            upsert = (
                dialect.insert(table)
                .values(name=self.name, token=self.token, expires_at=until)
                .on_conflict_do_update(
                    index_elements=[table.c.name],
                    set_={"token": self.token, "expires_at": until},
                    where=(table.c.expires_at <= now) | (table.c.token == self.token),
                )
                .returning(table.c.token)
            )
            taken = db.execute(upsert).scalar_one_or_none()
        return taken == self.token

    def _renew(self) -> bool:
        with self.store.transaction() as db:
            until = _now_ms(db, self.store.dialect) + int(self.seconds * 1000)
            renewed = db.execute(
                update(Row)
                .where(Row.name == self.name, Row.token == self.token)
                .values(expires_at=until)
            )
            return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                if not self._renew():
                    self.lost.set()
                    return
            except SQLAlchemyError:
                log.warning("could not renew the lease %s; retrying", self.name)


def _now_ms(db: Session, dialect: str) -> int:
    if dialect == "postgresql":
        now = db.scalar(text("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint"))
        return int(now or 0)
    return int(time.time() * 1000)
