"""What a store's own planner would do with a statement, for tests that a hot read goes
through an index rather than every row an account ever had."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from postgate.states import PostStatus
from tests.post_rows import add_posts, analyze_posts


def plan(db: Session, statement: Any, params: dict[str, Any]) -> str:
    """The store's own plan for ``statement``, as it would run it with ``params``."""
    connection = db.connection()
    compiled = statement.compile(dialect=connection.dialect)
    values: Any = {**compiled.params, **params}
    if connection.dialect.name != "postgresql":  # SQLite's parameters are positional
        values = tuple(values[name] for name in compiled.positiontup or ())
    return _explained(db, [(str(compiled), values)])[0]


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
    return list(zip((statement for statement, _ in sent), _explained(db, sent), strict=True))


def _explained(db: Session, sent: list[tuple[str, Any]]) -> list[str]:
    """The plan of each (statement, parameters) as the driver takes them."""
    connection = db.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        db.execute(text("SET LOCAL enable_seqscan = off"))  # a small table is read whole
    cursor = connection.connection.cursor()
    found = []
    for statement, parameters in sent:
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
        found.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
    return found


def history(rt: Any, account: str, author: str, count: int) -> None:
    """``count`` published posts of ``account`` by ``author``, one an hour back from 2030,
    each with its platform id; then the store's statistics are brought up to date, so that
    its planner chooses as it would for an account in use, not for an empty table."""
    add_posts(
        rt,
        count,
        authors=[author],
        accounts=[account],
        start=datetime(2030, 1, 1, tzinfo=UTC),
        step=-timedelta(hours=1),
        statuses=(PostStatus.PUBLISHED,),
        went_out=True,
    )
    analyze_posts(rt)
