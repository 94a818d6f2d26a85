"""Create or upgrade the store's schema with Alembic; safe to run again."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from postgate.errors import OperationError
from postgate.store.db import Store

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    return config


def upgrade(store: Store) -> None:
    """Bring the schema to the newest revision (a no-op when it already is).

    A store already at the newest revision costs one query: Alembic itself would load every
    migration script to find that out, which ``postgate init`` on a current store, and each
    of the test suite's thousands of stores, would pay each time."""
    if current_revision(store) == head_revision():
        return
    config = alembic_config(store)
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def head_revision() -> str:
    """The newest revision this Postgate's migrations know."""
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise OperationError(f"the migrations have {len(heads)} heads; merge them first")
    return heads[0]


def current_revision(store: Store) -> str | None:
    """The revision the store's schema is at, or None when it has none yet."""
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(store: Store) -> None:
    """Refuse to start a web app or a worker on a schema that is not the one this code was
    written for: migrations run only by ``postgate init``, never as a side effect of starting
    (several processes starting at once would race, and an upgrade must be a decision)."""
    current, head = current_revision(store), head_revision()
    if current == head:
        return
    if current is None:
        raise OperationError("the store has no schema yet: run `postgate init` first")
    if current not in known_revisions():
        raise OperationError(
            f"the store's schema is at revision {current}, which this Postgate does not know "
            "(a newer version upgraded it): run that version instead"
        )
    raise OperationError(
        f"the store's schema is at revision {current} but this Postgate needs {head}: "
        "run `postgate init` to upgrade it, then start again"
    )


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


@functools.cache
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once a process: they are this code's own, and do not
    change while it runs."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def autogenerate(store: Store, message: str) -> None:
    """Developer helper: write a new revision from the difference between models and schema."""
    config = alembic_config(store)
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
