"""Where audit checkpoints and alerts go besides the checkpoint file: syslog and webhooks.

Both are copies an attacker on the Postgate machine cannot take back: syslog usually
forwards to a central log server, and a webhook lands in another system (a SIEM, a chat
room). Delivery is best effort: a sink that is down is logged, never fatal, because the
action that asked for the checkpoint (a freeze during an incident) must not wait on it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import threading
from pathlib import Path
from typing import Any

import httpx

from postgate.settings import Settings
from postgate.urlguard import UrlPolicy, guarded_client

log = logging.getLogger("postgate.audit")

SYSLOG_IDENT = "postgate-audit: "
WEBHOOK_TIMEOUT = 5.0


def publish(settings: Settings, checkpoint: dict[str, Any], *, background: bool = False) -> None:
    """Send a checkpoint (its signed fields) to syslog and every checkpoint webhook."""
    body = {"event": "audit-checkpoint", **checkpoint}
    to_syslog(settings.syslog_address, json.dumps(body, sort_keys=True), logging.INFO)
    _to_webhooks(settings, body, background)


def alert(settings: Settings, problem: str, *, background: bool = False) -> None:
    """Say that the chain no longer reaches its latest checkpoint."""
    body = {"event": "audit-chain-broken", "problem": problem}
    to_syslog(settings.syslog_address, json.dumps(body, sort_keys=True), logging.CRITICAL)
    _to_webhooks(settings, body, background)


def syslog_target(address: str) -> str | tuple[str, int] | None:
    """``/dev/log`` style paths (skipped when absent), ``host:port`` (UDP), or "" (off)."""
    if not address:
        return None
    if address.startswith("/"):
        return address if Path(address).exists() else None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        log.warning("syslog address %r is neither a path nor host:port; not sending", address)
        return None
    return host.strip("[]"), int(port)


def to_syslog(address: str, message: str, level: int) -> None:
    target = syslog_target(address)
    if target is None:
        return
    try:
        handler = logging.handlers.SysLogHandler(
            address=target,
            facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV,
        )
    except OSError as exc:
        log.warning("syslog at %s cannot be reached: %s", address, exc)
        return
    handler.ident = SYSLOG_IDENT
    handler.append_nul = False  # RFC 3164 ends a message without one
    try:
        record = logging.LogRecord("postgate.audit", level, __file__, 0, message, None, None)
        handler.emit(record)
    finally:
        handler.close()


def _to_webhooks(settings: Settings, body: dict[str, Any], background: bool) -> None:
    if not settings.checkpoint_webhooks:
        return
    if background:
        threading.Thread(
            target=_post_all, args=(settings, body), name="audit-webhooks", daemon=True
        ).start()
    else:
        _post_all(settings, body)


def _post_all(settings: Settings, body: dict[str, Any]) -> None:
    """POST to each webhook, each destination checked on the call (``postgate.urlguard``)."""
    policy = UrlPolicy.for_platform(settings.allow_private_urls)
    for url in settings.checkpoint_webhooks:
        try:
            with guarded_client(policy, timeout=WEBHOOK_TIMEOUT) as client:
                client.post(url, json=body).raise_for_status()
        except httpx.HTTPError as exc:
            # Only the host: a webhook's path often holds its secret (Slack, Teams).
            log.warning("audit webhook on %s failed: %s", httpx.URL(url).host, type(exc).__name__)
