"""``postgate serve``, ``postgate worker`` and ``postgate up`` (everything for local use)."""

from __future__ import annotations

import sys

import click

from postgate.cli.common import runtime
from postgate.serving import ServeOptions, Server, default_server


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    help="Gunicorn worker processes (default: [web] processes in the settings, 2).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Threads per process (default: [web] threads in the settings, 8).",
)
@click.option(
    "--server",
    type=click.Choice([s.value for s in Server]),
    help="Gunicorn wherever fork exists (the default), waitress elsewhere.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Start nothing: exit 0 when the web app at --host/--port answers /healthz with 200, "
    "else 1 (a container health check).",
)
def serve(
    host: str,
    port: int,
    processes: int | None,
    threads: int | None,
    server: str | None,
    check: bool,
) -> None:
    """Serve the web app and the JSON API."""
    from postgate import serving

    if check:
        probe = serving.probe_health(host, port)
        click.echo(probe.message, err=not probe.healthy)
        sys.exit(0 if probe.healthy else 1)
    from gateway import create_app
    from postgate.store.migrate import require_current

    rt = runtime()
    options = ServeOptions(
        host=host,
        port=port,
        processes=processes or rt.settings.web_processes,
        threads=threads or rt.settings.web_threads,
        server=Server(server) if server else default_server(),
    )
    serving.check_port(options)
    require_current(rt.store)
    app = create_app(settings=rt.settings)
    click.echo(f"Postgate on {options.url} ({options.describe()})")
    serving.serve(app, options)


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
        from postgate.heartbeat import check as check_heartbeat

        verdict = check_heartbeat(rt, name=name)
        click.echo(verdict.message, err=not verdict.healthy)
        sys.exit(0 if verdict.healthy else 1)
    from postgate.store.migrate import require_current
    from workers.runner import run_worker

    require_current(rt.store)
    run_worker(rt, burst=burst, name=name)


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
    from postgate.local import LocalPorts, run_everything

    ports = LocalPorts(host=host, web=port, sandbox=sandbox_port, redis=redis_port)
    run_everything(ports, worker_count=worker_count)
