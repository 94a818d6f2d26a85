"""The ``postgate`` command line: one small module per command group.

The core's own commands are registered here. The commands that start the packages built on
the core (``serve`` the web app, ``worker`` and ``reconcile`` the workers, ``sandbox`` the
sandbox platform) are plugged in by those packages, as entry points of the
``postgate.commands`` group in ``pyproject.toml``: the core names no package above it, and a
plug-in is imported only when its command runs (or ``--help`` lists it), so ``postgate users
add`` loads neither Flask nor RQ's worker.

The core's own command groups are loaded the same way, by name (``CORE``): every process a
command starts (a worker, a server, a one-off ``postgate users add``) pays only for the
modules of the command it runs; importing all of them cost about half a second of CPU a
process, which the test suite's hundreds of real processes paid again and again.

Errors reach the user as one line on stderr and a non-zero exit, never as a traceback
(set ``POSTGATE_DEBUG=1`` to see one while developing).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from importlib.metadata import EntryPoint, entry_points

import click

from postgate.errors import OperationError, PostgateError

PLUGIN_GROUP = "postgate.commands"
# The core's commands: name -> the module that defines it and the command's name there.
CORE: dict[str, tuple[str, str]] = {
    "accounts": ("postgate.cli.accounts", "accounts"),
    "audit": ("postgate.cli.admin", "audit_group"),
    "backup": ("postgate.cli.admin", "backup"),
    "demo": ("postgate.cli.demo", "demo"),
    "init": ("postgate.cli.admin", "init"),
    "keys": ("postgate.cli.admin", "keys"),
    "restore": ("postgate.cli.admin", "restore"),
    "rules": ("postgate.cli.rules", "rules"),
    "up": ("postgate.cli.processes", "up"),
    "users": ("postgate.cli.users", "users"),
}


@functools.cache
def plugged_in() -> dict[str, EntryPoint]:
    """The commands other packages plug in, by name (from the installed distribution)."""
    return {entry.name: entry for entry in entry_points(group=PLUGIN_GROUP)}


class Commands(click.Group):
    """The core's commands, and the plugged-in ones, each loaded when first needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *CORE, *plugged_in()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        if name in CORE:
            module, attribute = CORE[name]
            command = getattr(importlib.import_module(module), attribute)
        elif name in plugged_in():
            command = plugged_in()[name].load()
        if command is not None:
            self.add_command(command, name)
        return command


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postgate")
def cli() -> None:
    """Postgate: a publishing safety gate for company social-media accounts."""


def main(argv: list[str] | None = None) -> None:
    try:
        result = cli.main(args=argv, prog_name="postgate", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("postgate: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)  # usage errors know their command; others do not
        command = f" (see {ctx.command_path} --help)" if ctx else ""
        click.echo(f"postgate: error: {exc.format_message()}{command}", err=True)
        sys.exit(exc.exit_code)
    except PostgateError as exc:
        where = f" ({exc.field})" if exc.field else ""
        click.echo(f"postgate: error{where}: {exc.message}", err=True)
        sys.exit(1)
    except OperationError as exc:
        click.echo(f"postgate: error: {exc.message}", err=True)
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("POSTGATE_DEBUG"):
            raise
        hint = _schema_hint(exc)
        if hint:
            click.echo(f"postgate: error: {hint}", err=True)
            sys.exit(1)
        click.echo(
            f"postgate: unexpected error: {type(exc).__name__}: {_first_line(exc)}", err=True
        )
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def _schema_hint(exc: Exception) -> str | None:
    """A store error that comes from a store never set up, or left at an older schema,
    is said as such: the fix is ``postgate init``, not a bug report."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    from postgate.cli.common import runtime
    from postgate.store.migrate import require_current

    try:
        require_current(runtime().store)
    except OperationError as mismatch:
        return mismatch.message
    except Exception:
        return None
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no detail"
