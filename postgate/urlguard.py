"""Requests Postgate sends go to the public internet only, unless the organisation says
otherwise (server-side request forgery).

Whoever may set an account's base URL, a webhook target or a checkpoint webhook could
otherwise make Postgate call its own network: the cloud metadata service at
169.254.169.254, an admin interface on 10.x, Redis on 127.0.0.1. A destination is refused
when any address its host resolves to is private, loopback, link-local, multicast, reserved
or otherwise not global, unless ``allow_private_urls`` lists it:

- an origin, ``http://10.0.0.5:8080`` (a path after it is ignored), or a host with or
  without a port, ``mastodon.internal``, ``10.0.0.5:8080``: that destination, whatever it
  resolves to;
- a network, ``10.20.0.0/16``: any host whose addresses all lie in it.

The local sandbox platform may use loopback addresses without being listed, and only those.

The check runs when an account is connected or its credentials replaced (a clear 422 naming
the field) and again on every request (:class:`GuardedTransport`): DNS may answer otherwise
by then. The request then goes to the very address that was checked (the URL's host is
replaced by it, the ``Host`` header and the TLS server name stay the host's), so a second
lookup cannot swap in another address between the check and the connection.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SANDBOX = "sandbox"


class URLRefused(httpx.RequestError):
    """A destination the policy refuses; an httpx error, so it stops the request there."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Destination:
        parts = urlsplit(url)
        scheme = (parts.scheme or "").lower()
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            host, port = None, None
        if scheme not in ("http", "https") or not host:
            raise URLRefused("the URL must start with http:// or https:// and name a host")
        return cls(scheme, host.lower().rstrip("."), port or (443 if scheme == "https" else 80))


@dataclass(frozen=True)
class UrlPolicy:
    """Which non-public destinations are allowed (see the module doc)."""

    allowed: tuple[str, ...] = ()
    loopback_ok: bool = False

    @classmethod
    def for_platform(cls, allowed: Iterable[str], platform: str | None = None) -> UrlPolicy:
        return cls(tuple(allowed), loopback_ok=platform == SANDBOX)

    def listed(self, where: Destination) -> bool:
        """Whether an origin or host entry names ``where`` (networks are checked by address)."""
        for entry in self.allowed:
            if _is_network(entry):
                continue
            if "://" in entry:
                if Destination.of(entry) == where:
                    return True
                continue
            parts = urlsplit("//" + entry)
            try:
                port = parts.port
            except ValueError:
                continue
            if (parts.hostname or "").rstrip(".") == where.host and port in (None, where.port):
                return True
        return False

    def refusal(self, where: Destination, addresses: list[IPAddress]) -> str:
        """Why ``where`` (resolving to ``addresses``) is refused; "" when it is not."""
        if self.listed(where):
            return ""
        networks = [ipaddress.ip_network(e, strict=False) for e in self.allowed if _is_network(e)]
        for address in addresses:
            if _is_public(address) or (self.loopback_ok and _plain(address).is_loopback):
                continue
            if any(_plain(address) in network for network in networks):
                continue
            return (
                f"{where.host} is at {address}, which is not a public address; "
                "list it in allow_private_urls to allow it"
            )
        return ""


def is_valid_entry(entry: str) -> bool:
    """Whether ``entry`` can be an ``allow_private_urls`` entry (see the module doc)."""
    if _is_network(entry):
        return True
    try:
        if "://" in entry:
            Destination.of(entry)
            return True
        parts = urlsplit("//" + entry)
        return bool(parts.hostname) and "/" not in entry and (parts.port or 0) >= 0
    except (URLRefused, ValueError):
        return False


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return "/" in entry


def _plain(address: IPAddress) -> IPAddress:
    """An IPv4 address written as IPv6 (``::ffff:10.0.0.1``) is that IPv4 address."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _is_public(address: IPAddress) -> bool:
    plain = _plain(address)
    return plain.is_global and not plain.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to now (an address literal is itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise URLRefused(f"{host} cannot be resolved ({exc.__class__.__name__})") from None
    found = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


def checked_address(policy: UrlPolicy, url: str) -> tuple[Destination, IPAddress]:
    """The address to connect to for ``url``; URLRefused when the policy refuses it."""
    where = Destination.of(url)
    addresses = resolve(where.host, where.port)
    problem = policy.refusal(where, addresses) if addresses else f"{where.host} has no address"
    if problem:
        raise URLRefused(problem, url=url)
    return where, addresses[0]


def literal_refusal(policy: UrlPolicy, url: str) -> str:
    """Without asking DNS: why ``url`` is refused when its host is an address literal or
    ``localhost`` ("" otherwise); for checking settings as they are read."""
    try:
        where = Destination.of(url)
    except URLRefused as exc:
        return str(exc)
    if where.host == "localhost" or where.host.endswith(".localhost"):
        return policy.refusal(where, [ipaddress.ip_address("127.0.0.1")])
    try:
        return policy.refusal(where, [ipaddress.ip_address(where.host.strip("[]"))])
    except ValueError:
        return ""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one (loading the CA bundle) costs
    ~25 ms. Workers build it before forking work horses, which inherit it (profiled: 15% of
    a publish job's time when each horse built its own)."""
    return ssl.create_default_context(cafile=certifi.where())


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks each request's destination and connects to the very
    address it checked (see the module doc)."""

    def __init__(self, policy: UrlPolicy, inner: httpx.BaseTransport | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpx.HTTPTransport(verify=tls_context())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        where, address = checked_address(self._policy, str(request.url))
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": where.host}
        request.url = request.url.copy_with(host=str(address))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def guarded_client(policy: UrlPolicy, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` whose every request goes through :class:`GuardedTransport`."""
    return httpx.Client(transport=GuardedTransport(policy), **kwargs)
