"""``postgate reconcile``: re-enqueue what the store says is due but Redis does not hold."""

from __future__ import annotations

import click

from postgate.cli.common import runtime


@click.command()
def reconcile() -> None:
    """Compare the store with the queues once and repair the difference."""
    from workers.reconcile import reconcile_once

    report = reconcile_once(runtime())
    click.echo(
        f"re-enqueued {report.enqueued} posts, {report.stale_claims} stale claims checked, "
        f"{report.takedowns_resumed} takedowns resumed"
    )
