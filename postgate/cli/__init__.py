"""The ``postgate`` command line: one small module per command group.

Errors reach the user as one line on stderr and a non-zero exit, never as a traceback
(set ``POSTGATE_DEBUG=1`` to see one while developing).
"""

from __future__ import annotations

import os
import sys

import click

from postgate.cli.accounts import accounts
from postgate.cli.admin import audit_group, backup, init, keys, restore
from postgate.cli.demo import demo
from postgate.cli.processes import serve, up, worker
from postgate.cli.users import users
from postgate.errors import OperationError, PostgateError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postgate")
def cli() -> None:
    """Postgate: a publishing safety gate for company social-media accounts."""


for command in (init, users, accounts, keys, audit_group, backup, restore, serve, worker, up, demo):
    cli.add_command(command)


def _register_optional() -> None:
    """Command groups that live beside the core (rules engine, workers, sandbox)."""
    from postgate.cli.publishing import reconcile
    from postgate.cli.rules import rules
    from sandbox.cli import sandbox

    cli.add_command(rules)
    cli.add_command(reconcile)
    cli.add_command(sandbox)


def main(argv: list[str] | None = None) -> None:
    _register_optional()
    try:
        result = cli.main(args=argv, prog_name="postgate", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("postgate: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        command = f" (see {exc.ctx.command_path} --help)" if getattr(exc, "ctx", None) else ""
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
        click.echo(
            f"postgate: unexpected error: {type(exc).__name__}: {_first_line(exc)}", err=True
        )
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no detail"
