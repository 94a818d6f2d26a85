"""The store's transaction discipline on SQLite and PostgreSQL."""

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from postgate.store.models import User
from postgate.store.types import utcnow


def test_datetimes_come_back_aware_in_utc(any_rt):
    with any_rt.store.transaction() as db:
        db.add(User(username="zoe", password_hash="x", roles="author"))
    with any_rt.store.session() as db:
        created = db.scalar(select(User.created_at).where(User.username == "zoe"))
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
    assert abs((utcnow() - created).total_seconds()) < 60


def test_naive_datetimes_are_refused(any_rt):
    with pytest.raises(Exception, match="naive datetime"), any_rt.store.transaction() as db:
        db.add(
            User(username="yan", password_hash="x", roles="author", created_at=datetime(2026, 1, 1))
        )


def test_migrations_are_safe_to_run_again(any_rt):
    from postgate.store import migrate

    migrate.upgrade(any_rt.store)
    migrate.upgrade(any_rt.store)
    with any_rt.store.session() as db:
        assert db.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_a_reader_does_not_wait_for_a_writer(rt):
    """Read sessions open a deferred transaction: in WAL mode they read while a writer
    holds the lock, instead of queueing behind it as BEGIN IMMEDIATE would."""
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with rt.store.transaction() as db:
            db.add(User(username="wendy", password_hash="x", roles="author"))
            db.flush()
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    began = time.monotonic()
    with rt.store.session() as db:
        seen = db.scalar(select(User.id).where(User.username == "wendy"))
    waited = time.monotonic() - began
    release.set()
    thread.join()
    assert seen is None and waited < 1.0
    with rt.store.session() as db:
        assert db.scalar(select(User.id).where(User.username == "wendy")) is not None


def test_two_writers_queue_instead_of_failing(rt):
    """Writers on SQLite wait for each other (busy timeout) rather than raising 'locked'."""
    errors: list[Exception] = []

    def write(name: str) -> None:
        try:
            for i in range(20):
                with rt.store.transaction() as db:
                    db.add(
                        User(
                            username=f"{name}{i}",
                            password_hash="x",
                            roles="author",
                            created_at=datetime.now(UTC),
                        )
                    )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in ("ann", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with rt.store.session() as db:
        assert len(db.scalars(select(User.id)).all()) == 40
