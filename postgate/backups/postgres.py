"""PostgreSQL stores: ``pg_dump`` and ``pg_restore`` around Postgate's own schema.

The dump is taken in a snapshot that the transaction reading the manifest's counts exports
(``pg_export_snapshot`` and ``pg_dump --snapshot``), so both see the same instant while
writers carry on. Only Postgate's schema is dumped (the one the store's search path puts
first), in the custom format, without owners or privileges, so it restores under another
role. The password reaches the tools through ``PGPASSWORD``, never their command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from postgate.errors import OperationError
from postgate.store.db import Store
from postgate.store.models import Base

GUIDANCE = (
    "install PostgreSQL's client tools of the server's major version or newer "
    "(Debian: apt-get install postgresql-client-NN)"
)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OperationError(f"{name} is not installed: {GUIDANCE}")
    return path


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it."""
    parsed = make_url(url)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, ({"PGPASSWORD": str(parsed.password)} if parsed.password else {})


def run_tool(argv: list[str], url: str) -> str:
    uri, secret = libpq_target(url)
    result = subprocess.run(  # noqa: S603 - our own argv
        [*argv, f"--dbname={uri}"],
        env={**os.environ, **secret},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit {result.returncode}"
        raise OperationError(f"{Path(argv[0]).name} failed: {detail}")
    return result.stdout


def current_schema(connection: Connection) -> str:
    schema = connection.scalar(text("SELECT current_schema()"))
    if schema is None:
        raise OperationError("the store's search path names no existing schema")
    return str(schema)


def dump(
    store: Store, dest: Path, describe: Callable[[Connection], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Dump Postgate's schema into ``dest``; returns (what ``describe`` read in the same
    snapshot, what the manifest says of PostgreSQL)."""
    pg_dump = tool("pg_dump")
    with store.engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        contents = describe(connection)
        schema = current_schema(connection)
        server = connection.scalar(text("SHOW server_version"))
        argv = [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                f"--schema={schema}", f"--snapshot={snapshot}", f"--file={dest}"]  # fmt: skip
        run_tool(argv, store.url)
        connection.rollback()
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout  # noqa: S603
    return contents, {
        "schema": schema,
        "server_version": server,
        "pg_dump_version": version.strip().rsplit(" ", 1)[-1],
    }


def target_schema(connection: Connection) -> tuple[str, bool]:
    """The schema a restore must fill (the first of the search path that exists, else the
    first named) and whether it exists."""
    path = str(connection.scalar(text("SHOW search_path")))
    user = str(connection.scalar(text("SELECT current_user")))
    names = [n.strip().strip('"') for n in path.split(",") if n.strip()]
    names = [user if n == "$user" else n for n in names]
    existing = set(connection.scalars(text("SELECT nspname FROM pg_namespace")))
    for name in names:
        if name in existing:
            return name, True
    named = [n for n in names if n != user]
    if not named:
        raise OperationError("the store's search path names no schema to restore into")
    return named[0], False


def restore(store: Store, dump_file: Path, schema: str) -> None:
    """Restore a dump of ``schema`` into the store, in one transaction. The store must be
    empty (checked before); tables that ``postgate init`` left empty are dropped first."""
    pg_restore = tool("pg_restore")
    with store.engine.begin() as connection:
        into, exists = target_schema(connection)
        if into != schema:
            raise OperationError(
                f"the backup holds schema {schema!r} but the store's search path leads to "
                f"{into!r}: point POSTGATE_DATABASE_URL at a database where it leads to "
                f"{schema!r} (options=-csearch_path={schema})"
            )
        if exists:
            _drop_empty_tables(connection, schema)
    listing = run_tool([pg_restore, "--list", str(dump_file)], store.url)
    if exists:  # the dump would create the schema, which is there already
        listing = "\n".join(
            line for line in listing.splitlines()
            if not re.search(rf" (SCHEMA - |COMMENT - SCHEMA ){re.escape(schema)}\b", line)
        )  # fmt: skip
    items = dump_file.with_suffix(".list")
    items.write_text(listing + "\n")
    options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    run_tool([pg_restore, *options, f"--use-list={items}", str(dump_file)], store.url)


def _drop_empty_tables(connection: Connection, schema: str) -> None:
    names = [*(t.name for t in Base.metadata.sorted_tables), "alembic_version"]
    present = set(
        connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        )
    )
    for name in names:
        if name in present:
            connection.execute(text(f'DROP TABLE "{schema}"."{name}" CASCADE'))
