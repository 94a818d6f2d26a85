"""Web app and workers start only on a schema at head: migrations are ``postgate init``'s
job, never a side effect of starting a process."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from postgate.errors import OperationError
from postgate.store.migrate import head_revision, require_current
from tests.conftest import _free_port
from tests.helpers import run_postgate


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_a_store_without_schema(env, command):
    args = ["serve", "--port", str(_free_port())] if command == "serve" else ["worker"]
    result = run_postgate(env, *args)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "postgate: error: the store has no schema yet: run `postgate init` first"
    )


def _set_revision(rt, revision: str) -> None:
    with rt.store.transaction() as db:
        db.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def _downgrade(rt, revision: str) -> None:
    from alembic import command

    from postgate.store.migrate import alembic_config

    config = alembic_config(rt.store)
    with rt.store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()


def test_a_schema_behind_the_code_asks_for_init(rt, env):
    require_current(rt.store)
    _downgrade(rt, "150f0745cb84")
    with pytest.raises(OperationError, match="run `postgate init` to upgrade it"):
        require_current(rt.store)
    result = run_postgate(env, "worker")
    assert result.returncode == 1 and f"needs {head_revision()}" in result.stderr
    assert run_postgate(env, "init").returncode == 0
    require_current(rt.store)


def test_a_schema_ahead_of_the_code_names_the_newer_version(rt):
    _set_revision(rt, "ffffffffffff")
    with pytest.raises(OperationError, match="a newer version upgraded it"):
        require_current(rt.store)
