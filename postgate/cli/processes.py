"""``postgate serve``, ``postgate worker`` and ``postgate up`` (everything for local use)."""

from __future__ import annotations

import click

from postgate.cli.common import runtime


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app and the JSON API."""
    import waitress

    from gateway import create_app

    app = create_app()
    click.echo(f"Postgate on http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="postgate")


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (for scripts).")
def worker(burst: bool) -> None:
    """Run an RQ worker for publishing and takedowns, with the scheduler."""
    from workers.runner import run_worker

    run_worker(runtime(), burst=burst)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", "worker_count", default=1, show_default=True, type=click.IntRange(1, 16))
def up(host: str, port: int, worker_count: int) -> None:
    """Start everything for local use: Redis and the sandbox when absent, workers, the web app."""
    from postgate.local import run_everything

    run_everything(host=host, port=port, worker_count=worker_count)
