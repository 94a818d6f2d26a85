"""``postgate rules``: check a draft (nothing stored), print the version, and manage the
rules as code: ``import`` files as a new version in the store, ``export`` the one in force."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from postgate.cli.common import echo_json, runtime
from postgate.services import rule_versions
from postgate.services.accounts import find_account
from postgate.services.checking import current_ruleset, evaluate

CLI_ACTOR = "postgate-cli"


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


@rules.command("import")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="A rules TOML file.")
@click.option("--catalog", "catalog_file", type=click.Path(dir_okay=False), help="A CSV file.")
@click.option("--note", default="", help="Why: shown in the history.")
@click.option("--json", "as_json", is_flag=True)
def import_rules(
    rules_file: str | None, catalog_file: str | None, note: str, as_json: bool
) -> None:
    """Store the files as a new version of the rules (without options: the files named in
    the settings). A change that loosens protection waits for an admin's approval."""
    rt = runtime()
    rules_text: str | None
    if rules_file is None and catalog_file is None:
        rules_text, catalog_text = rule_versions.files(rt)
    else:
        rules_text, catalog_text = _read(rules_file), _read(catalog_file)
    with rt.store.transaction() as db:
        if rule_versions.in_force(db) is None and rules_file is None and catalog_file is None:
            row = rule_versions.current(rt, db)  # the first import: the files as they are
        else:
            row = rule_versions.propose(
                rt, db, rules=rules_text, catalog=catalog_text, actor=CLI_ACTOR, note=note
            )
        answer = rule_versions.to_dict(db, row)
    if as_json:
        echo_json(answer)
    elif row.status == rule_versions.PENDING:
        click.echo(f"version {row.id} waits for an admin's approval: it loosens protection")
        for reason in row.loosening:
            click.echo(f"  {reason}")
    else:
        click.echo(f"version {row.id} in force ({row.version})")


@rules.command("export")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="Write it here.")
@click.option("--catalog", "catalog_file", type=click.Path(dir_okay=False), help="Write it here.")
def export_rules(rules_file: str | None, catalog_file: str | None) -> None:
    """Write the rules and catalogue in force (the rules to standard output by default)."""
    rt = runtime()
    with rt.store.session() as db:
        row = rule_versions.in_force(db)
        rules_text, catalog_text = (row.rules, row.catalog) if row else rule_versions.files(rt)
    if rules_file:
        Path(rules_file).write_text(rules_text, encoding="utf-8")
    elif not catalog_file:
        click.echo(rules_text, nl=False)
    if catalog_file:
        Path(catalog_file).write_text(catalog_text or "", encoding="utf-8")


def _read(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"cannot read {path}: {exc}") from None


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
