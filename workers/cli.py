"""``postgate worker`` and ``postgate reconcile``: the workers' commands.

Plugged into the ``postgate`` command by this package (the ``postgate.commands`` entry
points in ``pyproject.toml``), since the core does not import the workers.
"""

from __future__ import annotations

import sys

import click

from postgate.cli.common import runtime
from postgate.heartbeat import check as check_heartbeat
from postgate.store.migrate import require_current
from workers.reconcile import reconcile_once
from workers.runner import run_worker


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (for scripts).")
@click.option("--name", help="This worker's name in heartbeats (default: HOST.PID).")
@click.option(
    "--check",
    is_flag=True,
    help="Start no worker: exit 0 when this host's newest worker heartbeat (or --name's) "
    "is recent, 1 when it is stale or missing (a container health check).",
)
def worker(burst: bool, name: str | None, check: bool) -> None:
    """Run an RQ worker for publishing and takedowns, with the scheduler."""
    rt = runtime()
    if check:
        verdict = check_heartbeat(rt, name=name)
        click.echo(verdict.message, err=not verdict.healthy)
        sys.exit(0 if verdict.healthy else 1)
    require_current(rt.store)
    run_worker(rt, burst=burst, name=name)


@click.command()
def reconcile() -> None:
    """Compare the store with the queues once and repair the difference."""
    report = reconcile_once(runtime())
    click.echo(
        f"re-enqueued {report.enqueued} posts, {report.stale_claims} stale claims checked, "
        f"{report.takedowns_resumed} takedowns resumed"
    )
