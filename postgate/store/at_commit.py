"""Work a transaction does as it commits: after its last flush, and with its COMMIT.

The audit chain's tip is locked from the moment an entry is linked to the end of its
transaction, and every writer of every process waits for it meanwhile. So the link is made
last (:mod:`postgate.audit_commit`), once the action's own writes are flushed, and on
PostgreSQL its rows leave with the COMMIT in one round trip (psycopg's pipeline mode): the
lock is held over two round trips, not over the rest of the action.

The hook is on every :class:`~sqlalchemy.orm.Session`, not only on the store's session
factory: work staged here must never be dropped because a session came from elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Executable, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from postgate.store.db import Callback

AT_COMMIT = "postgate_at_commit"

Write = tuple[Executable, Sequence[dict[str, Any]] | dict[str, Any]]


def call_at_commit(session: Session, key: str, callback: Callback) -> Callback:
    """Run ``callback`` as ``session``'s transaction commits, after its last flush; it may end
    the transaction itself (:func:`write_and_commit`). None runs if the transaction rolls
    back. As with :func:`~postgate.store.db.call_after_commit`, a second callback under the
    same ``key`` in one transaction is dropped and the first returned."""
    return cast(Callback, session.info.setdefault(AT_COMMIT, {}).setdefault(key, callback))


def write_and_commit(session: Session, writes: Sequence[Write]) -> None:
    """Execute ``writes`` in ``session``'s transaction and commit it.

    On PostgreSQL (psycopg) the writes and the COMMIT are sent together and answered in one
    round trip; the session's own commit that follows finds the transaction ended and sends
    nothing. Elsewhere they are executed one by one and the session commits as usual. Only
    an :func:`call_at_commit` callback may call this, and nothing may be written after it.
    """
    connection = session.connection()
    if connection.dialect.driver != "psycopg":
        for statement, params in writes:
            session.execute(statement, params)
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    try:
        with raw.pipeline():
            for statement, params in writes:
                session.execute(statement, params)
            raw.commit()
    except connection.dialect.loaded_dbapi.Error as exc:
        # Raised as the pipeline's answers are read, outside SQLAlchemy's execution: made
        # SQLAlchemy's own (an OperationalError is an outage, answered 503), and a
        # connection that broke is not given back to the pool.
        error = DBAPIError.instance(
            "COMMIT", None, exc, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        )
        if connection.dialect.is_disconnect(exc, raw, None):
            connection.invalidate(exc)
        raise error from exc
    session.info[_SENT_COMMIT] = True


_SENT_COMMIT = "postgate_sent_commit"


@event.listens_for(Session, "before_commit")
def _run_at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction's commit runs them
    callbacks = session.info.pop(AT_COMMIT, None)
    if not callbacks:
        return
    session.flush()
    for callback in callbacks.values():
        callback()
    if session.info.pop(_SENT_COMMIT, False) and (session.new or session.dirty or session.deleted):
        # SQLAlchemy would flush these after the COMMIT, into a transaction of their own.
        raise RuntimeError("objects were changed after the transaction's COMMIT was sent")


@event.listens_for(Session, "after_soft_rollback")
def _forget_at_commit(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(AT_COMMIT, None)
        session.info.pop(_SENT_COMMIT, None)
