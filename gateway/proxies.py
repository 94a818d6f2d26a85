"""Who the client is behind a reverse proxy: ``trusted_proxies``.

Rate limits and the audit's ``source`` read ``request.remote_addr``. Behind a reverse proxy
that is the proxy's address for everyone, so one guesser would exhaust the address limit
of all users and every audit entry would name the proxy; but believing ``X-Forwarded-For``
from anyone lets a client write whatever address it likes there. So the header is read only
when the peer that sent the request is a trusted proxy, and then from the right: each
address a trusted proxy appended is skipped, and the first one that is not trusted is the
client (what a client wrote on the left of it is never believed).

``trusted_proxies`` is either a list of addresses and networks (``["10.0.0.0/8",
"127.0.0.1"]``: the peers, and the hops in the header, that are proxies of yours), or a
number of hops (``1``: exactly one proxy in front, whatever its address; werkzeug's
``ProxyFix`` then takes that many addresses from the right). Use the number only when
nothing but the proxies can reach Postgate. The peer's own address stays in the WSGI
environment as ``postgate.peer_addr``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

WSGIApp = Any
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The trusted networks; raises ValueError naming an entry that is not one."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def wrap(app: WSGIApp, networks: tuple[str, ...], hops: int) -> WSGIApp:
    """``app`` behind the proxies the settings trust (unchanged when they name none)."""
    if networks:
        return TrustedProxies(app, parse_networks(networks))
    if hops:
        return ProxyFix(app, x_for=hops, x_proto=0, x_host=0, x_port=0, x_prefix=0)
    return app


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


class TrustedProxies:
    """WSGI middleware: ``REMOTE_ADDR`` becomes the client's address when, and only when,
    the request came through proxies listed in ``networks``."""

    def __init__(self, app: WSGIApp, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    def trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in net for net in self.networks)

    def client(self, peer: str, forwarded: str) -> str:
        """The client's address: the right-most hop that is not a trusted proxy."""
        if not self.trusted(peer):
            return peer
        client = peer
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if _address(hop) is None:
                break  # garbage in the header: keep the last address a proxy vouched for
            client = hop.strip("[]")
            if not self.trusted(hop):
                break
        return client

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        environ["postgate.peer_addr"] = peer
        environ["REMOTE_ADDR"] = self.client(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
        return self.app(environ, start_response)
