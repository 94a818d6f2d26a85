"""``postgate serve``: the web app under gunicorn, or waitress where there is no fork.

Gunicorn runs a master and ``processes`` pre-forked workers of ``threads`` threads each
(the ``gthread`` worker), the usual shape for a Flask app that waits on a database: threads
overlap the waits, processes use the cores. The app is built once in the master, before the
port is bound, so a bad setting ends the command with one line instead of every worker
failing to boot; pooled database connections are closed before the fork (Redis clients
notice a new process by themselves). Waitress, one process with threads, stays for systems
without ``fork`` and for whoever asks for it.

This module knows nothing of Flask or the gateway: the caller hands over the WSGI app.
"""

from __future__ import annotations

import enum
import gc
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postgate.ports import require_free_port
from postgate.store.db import release_connections

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Server(enum.StrEnum):
    GUNICORN = "gunicorn"
    WAITRESS = "waitress"


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    processes: int
    threads: int
    server: Server

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def describe(self) -> str:
        if self.server is Server.WAITRESS:
            return f"waitress, 1 process x {self.threads} threads"
        return f"gunicorn, {self.processes} processes x {self.threads} threads"


@dataclass(frozen=True)
class Probe:
    healthy: bool
    message: str


def probe_health(host: str, port: int, timeout: float = 5.0) -> Probe:
    """Ask a running web app's ``/healthz`` (``postgate serve --check``, a health check)."""
    import httpx

    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - listening everywhere: ask loopback
        host = "127.0.0.1"
    url = ServeOptions(host, port, 1, 1, Server.GUNICORN).url + "healthz"
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return Probe(False, f"{url} does not answer ({type(exc).__name__})")
    if response.status_code == 200:
        return Probe(True, f"ok {url}")
    try:
        detail = response.json().get("message", "")
    except ValueError:
        detail = ""
    return Probe(False, f"{url} answered {response.status_code} {detail}".rstrip())


def default_server() -> Server:
    """Gunicorn wherever processes can fork (every Unix); waitress elsewhere."""
    return Server.GUNICORN if hasattr(os, "fork") else Server.WAITRESS


def check_port(options: ServeOptions) -> None:
    require_free_port(options.host, options.port, flag="--port", what="the web app")


def serve(app: WSGIApp, options: ServeOptions) -> None:
    """Serve ``app`` until stopped (SIGTERM or Ctrl-C stop it warmly)."""
    check_port(options)
    if options.server is Server.WAITRESS:
        import waitress

        waitress.serve(
            app, host=options.host, port=options.port, threads=options.threads, ident="postgate"
        )
        return
    release_connections()
    freeze_for_fork()
    _run_gunicorn(app, gunicorn_config(options))


def freeze_for_fork() -> None:
    """Move everything the built app holds out of the collector's reach before gunicorn forks.

    The app, its routes, mappers and API description are about 190,000 objects that live as
    long as the process; each web process would otherwise walk them all in every full
    collection, about 150 ms with the interpreter paused (measured on the 2-core machine of
    docs/publishing.md), once every two thousand requests or so. A pause that lands while the
    request holds the audit chain's lock holds up every process's writers behind it: that
    pause was the tail of API submissions at 200/s. Frozen, a full collection walks only what
    a process made since it forked (Python's own advice for a fork without exec, which also
    keeps the pages shared between the processes)."""
    gc.collect()
    gc.freeze()


def gunicorn_config(options: ServeOptions) -> dict[str, Any]:
    """Gunicorn's settings for Postgate; the control socket is off because its default path
    is one per user, shared by every gunicorn that user runs."""
    config: dict[str, Any] = {
        "bind": [f"{options.host}:{options.port}"],
        "workers": options.processes,
        "threads": options.threads,
        "worker_class": "gthread",
        "preload_app": True,
        "proc_name": "postgate-web",
        "timeout": 60,
        "graceful_timeout": 20,
        "keepalive": 5,
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,
    }
    if Path("/dev/shm").is_dir():  # noqa: S108 - gunicorn's advice for its heartbeat files
        config["worker_tmp_dir"] = "/dev/shm"  # noqa: S108
    return config


def _run_gunicorn(app: WSGIApp, config: dict[str, Any]) -> None:
    """Gunicorn's documented way to embed it: settings from a dict, the app already built.
    Imported here because gunicorn imports ``fcntl``, which only Unix has."""
    from gunicorn.app.base import BaseApplication

    class EmbeddedGunicorn(BaseApplication):
        def load_config(self) -> None:
            for name, value in config.items():
                self.cfg.set(name, value)

        def load(self) -> WSGIApp:
            return app

    EmbeddedGunicorn().run()
