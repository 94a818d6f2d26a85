"""Pooled PostgreSQL connections are pinged before use only after sitting idle.

``pool_pre_ping`` cost a round trip per transaction (three per publish); the store now pings
a connection that was idle in the pool for ``PING_IDLE_SECONDS`` or more, which is when a
server restart, a failover or an idle timeout ends connections. A connection the server
ended while it sat idle is replaced before the caller sees it.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from postgate.store import db as store_db

pytestmark = pytest.mark.postgresql_pass  # PostgreSQL's pool: skipped, saying so, on SQLite


def _backend_pid(rt) -> int:
    with rt.store.transaction() as db:
        return int(db.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(rt, pid: int) -> None:
    other = create_engine(rt.store.url)  # not the store's pool: its connection is the one
    try:
        with other.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def test_a_connection_ended_while_idle_is_replaced_before_use(pg_rt, monkeypatch):
    monkeypatch.setattr(store_db, "PING_IDLE_SECONDS", 0.2)
    pid = _backend_pid(pg_rt)
    _terminate(pg_rt, pid)
    time.sleep(0.3)
    assert _backend_pid(pg_rt) != pid  # pinged, found gone, replaced: no error


def test_a_connection_returned_a_moment_ago_is_not_pinged(pg_rt, monkeypatch):
    monkeypatch.setattr(store_db, "PING_IDLE_SECONDS", 3600.0)
    pings: list[object] = []
    dialect = pg_rt.store.engine.dialect
    real = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(conn) or real(conn))
    pid = _backend_pid(pg_rt)
    assert _backend_pid(pg_rt) == pid and pings == []
    monkeypatch.setattr(store_db, "PING_IDLE_SECONDS", 0.0)
    assert _backend_pid(pg_rt) == pid and len(pings) == 1
