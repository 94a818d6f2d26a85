"""``postgate serve``: the web app and the JSON API, under gunicorn (waitress without fork).

Plugged into the ``postgate`` command by this package (the ``postgate.commands`` entry
points in ``pyproject.toml``), since the core does not import the web app.
"""

from __future__ import annotations

import sys

import click

from gateway import create_app
from postgate import serving
from postgate.cli.common import runtime
from postgate.logs import configure_logging
from postgate.serving import ServeOptions, Server, default_server
from postgate.store.migrate import require_current


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
    if check:
        probe = serving.probe_health(host, port)
        click.echo(probe.message, err=not probe.healthy)
        sys.exit(0 if probe.healthy else 1)
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
    configure_logging(rt.settings.log_format, rt.settings.log_level)
    app = create_app(settings=rt.settings)
    click.echo(f"Postgate on {options.url} ({options.describe()})")
    serving.serve(app, options)
