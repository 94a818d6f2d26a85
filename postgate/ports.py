"""Is a TCP port free to listen on? Asked before a server starts, so a taken port ends the
command with one line naming the flag that picks another, instead of a server library's
retries and traceback (gunicorn tries five times, then exits; werkzeug prints and exits 1).
"""

from __future__ import annotations

import errno
import socket

from postgate.errors import OperationError


def port_is_free(host: str, port: int) -> bool:
    """Whether a listener could bind ``host:port`` now.

    ``SO_REUSEADDR`` is set as gunicorn and waitress set it, so a port whose last connection
    lingers in TIME_WAIT counts as free while one that another program listens on does not.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise OperationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return True


def require_free_port(host: str, port: int, *, flag: str, what: str) -> None:
    """Raise :class:`OperationError` naming ``flag`` when ``host:port`` is taken."""
    if not port_is_free(host, port):
        raise OperationError(
            f"port {port} on {host} is taken, so {what} cannot listen there: "
            f"stop what uses it or choose another port with {flag}"
        )
