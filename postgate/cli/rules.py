"""``postgate rules check``: findings for a draft, nothing stored."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

import click

from postgate.cli.common import echo_json, runtime
from postgate.services.accounts import find_account
from postgate.services.checking import current_ruleset, evaluate


@click.group()
def rules() -> None:
    """The content rules."""


@rules.command("check")
@click.option("--account", required=True, help="The account the post is for.")
@click.option("--at", "scheduled_at", help="Scheduled time, ISO 8601 with offset.")
@click.argument("source", default="-", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True)
def check(account: str, scheduled_at: str | None, source: TextIO, as_json: bool) -> None:
    """Check a draft from FILE (or - for standard input); exit 1 when a finding blocks."""
    text = source.read().rstrip("\n")
    when = _parse_time(scheduled_at) if scheduled_at else None
    rt = runtime()
    with rt.store.session() as db:
        result = evaluate(rt, db, find_account(db, account), text, when)
    if as_json:
        echo_json(
            {
                "version": result.version,
                "blocked": result.blocked,
                "findings": [f.to_dict() for f in result.findings],
            }
        )
    else:
        for finding in result.findings:
            click.echo(f"{finding.severity:5} {finding.rule}: {finding.message}")
        click.echo(f"{len(result.findings)} findings (rules {result.version})")
    sys.exit(1 if result.blocked else 0)


@rules.command("version")
def version() -> None:
    """Print the version of the current rules and catalogue."""
    click.echo(current_ruleset(runtime()).version)


def _parse_time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 time", param_hint="--at") from None
    if when.tzinfo is None:
        raise click.BadParameter(
            "give a UTC offset, e.g. 2026-12-01T09:00:00+01:00", param_hint="--at"
        )
    return when
