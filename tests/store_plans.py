"""What a store's own planner would do with a statement, for tests that a hot read goes
through an index rather than every row an account ever had."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
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
