"""Create or upgrade the store's schema with Alembic; safe to run again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from postgate.store.db import Store

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    return config


def upgrade(store: Store) -> None:
    """Bring the schema to the newest revision (a no-op when it already is)."""
    config = alembic_config(store)
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def autogenerate(store: Store, message: str) -> None:
    """Developer helper: write a new revision from the difference between models and schema."""
    config = alembic_config(store)
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
