"""Which connector serves which platform, and what credentials each one needs."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx

from .base import Clock, Connector, CredentialsError, utc_now
from .bluesky import BlueskyConnector
from .mastodon import MastodonConnector
from .webhook import WebhookConnector
from .x import XConnector

REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "mastodon": ("token",),
    "sandbox": ("token",),
    "bluesky": ("identifier", "app_password"),
    "x": ("access_token",),
    "webhook": ("url", "secret"),
}

# Every constructor takes (base_url, credentials, timeout, transport, clock) by keyword.
_CONNECTORS: dict[str, Any] = {
    "mastodon": partial(MastodonConnector, platform="mastodon"),
    "sandbox": partial(MastodonConnector, platform="sandbox"),
    "bluesky": BlueskyConnector,
    "x": XConnector,
    "webhook": WebhookConnector,
}


def connector_for(
    platform: str,
    *,
    base_url: str | None,
    credentials: dict[str, str],
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = utc_now,
) -> Connector:
    """Build the connector for ``platform``.

    Raises ValueError for an unknown platform or a missing base URL (a
    configuration mistake), and :class:`CredentialsError` naming, never
    showing, a missing credential field, so the worker marks the account's
    credentials as broken. ``clock`` is for tests.
    """
    if platform not in _CONNECTORS:
        raise ValueError(f"unknown platform {platform!r}")
    missing = [key for key in REQUIRED_CREDENTIALS[platform] if not credentials.get(key)]
    if missing:
        raise CredentialsError(f"{platform}: missing credential field(s): {', '.join(missing)}")
    connector: Connector = _CONNECTORS[platform](
        base_url=base_url,
        credentials=dict(credentials),
        timeout=timeout,
        transport=transport,
        clock=clock,
    )
    return connector
