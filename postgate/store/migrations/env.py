"""Alembic environment: runs on the connection :mod:`postgate.store.migrate` hands over."""

from alembic import context
from sqlalchemy.engine import Connection

from postgate.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    if sqlite:  # outside a transaction, where SQLite honours it
        _foreign_keys(connection, "OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("the migration left rows pointing at rows that do not exist")
        if sqlite and connection.in_transaction():
            connection.commit()
    finally:
        if sqlite:  # back on, outside any transaction, before the connection is pooled again
            if connection.in_transaction():
                connection.rollback()
            _foreign_keys(connection, "ON")


def _foreign_keys(connection: Connection, state: str) -> None:
    """SQLite's batch mode changes a table by copying it, dropping the old one and renaming
    the copy; with foreign keys enforced, dropping a table that other rows point at fails
    (and would delete them), so they are checked once at the end instead."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={state}")


run_migrations_online()
