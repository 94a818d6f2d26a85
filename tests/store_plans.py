"""What a store's own planner would do with a statement, for tests that a hot read goes
through an index rather than every row an account ever had."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session


def plan(db: Session, statement: Any, params: dict[str, Any]) -> str:
    """The store's own plan for ``statement``, as it would run it with ``params``."""
    connection = db.connection()
    compiled = statement.compile(dialect=connection.dialect)
    values = {**compiled.params, **params}
    if connection.dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))  # a small table is read whole
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", values).all()
    else:
        ordered = tuple(values[name] for name in compiled.positiontup or ())
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ordered).all()
    return "\n".join(str(row[-1]) for row in rows)


def plans_of_reads(db: Session, call: Callable[[], Any]) -> list[tuple[str, str]]:
    """Each statement ``call`` sends through ``db``'s connection, with the store's plan for
    it as sent: the reads as the code makes them, not as a test would write them."""
    connection = db.connection()
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        db.execute(text("SET LOCAL enable_seqscan = off"))  # a small table is read whole
    cursor = connection.connection.cursor()
    found = []
    for statement, parameters in sent:
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
        found.append((statement, "\n".join(str(row[-1]) for row in cursor.fetchall())))
    return found


def history(rt: Any, account: str, count: int) -> None:
    """``count`` published posts of ``account`` (by its first user), one an hour back from
    2030, each with its platform id; then the store's statistics are brought up to date, so
    that its planner chooses as it would for an account in use, not for an empty table."""
    from postgate.states import PostStatus
    from postgate.store.models import Account, Post, User

    start = datetime(2030, 1, 1, tzinfo=UTC)
    with rt.store.transaction() as db:
        account_id = db.scalar(select(Account.id).where(Account.name == account))
        author_id = db.scalar(select(User.id).order_by(User.id).limit(1))
        rows = [
            {
                "account_id": account_id,
                "author_id": author_id,
                "text": f"published {i}",
                "status": PostStatus.PUBLISHED,
                "content_hash": f"{i:064x}",
                "links": [],
                "media": [],
                "findings": [],
                "remote_id": f"history-{i}",
                "published_at": start - timedelta(hours=i),
                "created_at": start - timedelta(hours=i),
            }
            for i in range(count)
        ]
        db.execute(insert(Post), rows)
    with rt.store.engine.connect() as connection:
        connection.execute(text("ANALYZE posts"))
        connection.commit()
