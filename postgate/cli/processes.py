"""``postgate up``: everything for local use, each part a child process of its own.

It starts the parts through the ``postgate`` command itself (``serve``, ``worker``,
``sandbox serve``), so it imports none of the packages that implement them.
"""

from __future__ import annotations

import click

from postgate.local import LocalPorts, run_everything


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--sandbox-port",
    type=click.IntRange(1, 65535),
    help="Where the sandbox platform listens (default: POSTGATE_SANDBOX_URL's port, 8765).",
)
@click.option(
    "--redis-port",
    type=click.IntRange(1, 65535),
    help="Use, or start, a private Redis on this port instead of POSTGATE_REDIS_URL.",
)
@click.option("--workers", "worker_count", default=1, show_default=True, type=click.IntRange(1, 16))
def up(
    host: str, port: int, sandbox_port: int | None, redis_port: int | None, worker_count: int
) -> None:
    """Start everything for local use: Redis and the sandbox when absent, workers, the web app.
    A child process that dies is started again."""
    ports = LocalPorts(host=host, web=port, sandbox=sandbox_port, redis=redis_port)
    run_everything(ports, worker_count=worker_count)
