"""A tiny client for the sandbox's control endpoints.

Used by ``postgate sandbox ...``, by benchmarks and by tests (Postgate itself asks for a
token over HTTP, see ``postgate.platforms.sandbox``). Failures become two exception types so
callers print one clear line.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

TIMEOUT = 10.0
_UNSET: Any = object()


class SandboxUnreachable(Exception):
    """Nothing answers at the sandbox URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"sandbox not reachable at {base_url}")
        self.base_url = base_url


class SandboxRequestError(Exception):
    """The sandbox answered with an error; ``message`` is its ``error`` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox refused the request ({status}): {message}")
        self.status = status
        self.message = message


def _call(base_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request; JSON answer on 2xx, else a typed exception."""
    url = base_url.rstrip("/") + path
    try:
        response = httpx.request(method, url, json=body, timeout=TIMEOUT)
    except httpx.TransportError as exc:
        raise SandboxUnreachable(base_url) from exc
    try:
        payload = response.json()
    except ValueError:
        payload = {"error": response.text.strip() or response.reason_phrase}
    if response.is_error:
        message = payload.get("error", "") if isinstance(payload, dict) else str(payload)
        raise SandboxRequestError(response.status_code, message)
    return payload


def arrivals(base_url: str, account: str | None = None) -> list[dict[str, Any]]:
    """Every platform call the sandbox received (``sandbox/arrivals.py``), oldest first."""
    query = f"?account={account}" if account else ""
    return _call(base_url, "GET", f"/sandbox/arrivals{query}")["arrivals"]


def forget_arrivals(base_url: str) -> None:
    _call(base_url, "DELETE", "/sandbox/arrivals")


def issue_token(base_url: str, name: str, scopes: str | None = None) -> dict[str, str]:
    """``{"access_token", "account_id"}`` for the account (created if needed); ``scopes``
    other than ``read write`` for its app."""
    body = {"scopes": scopes} if scopes is not None else None
    return _call(base_url, "POST", f"/sandbox/accounts/{name}/tokens", body)


def post_direct(base_url: str, name: str, text: str, visibility: str = "public") -> dict[str, Any]:
    """Post bypassing Postgate, as an attacker would; returns the Mastodon Status."""
    body = {"text": text, "visibility": visibility}
    return _call(base_url, "POST", f"/sandbox/accounts/{name}/statuses", body)


def edit_direct(base_url: str, name: str, status_id: str, text: str) -> dict[str, Any]:
    """Rewrite a live status bypassing Postgate (``edited_at`` set); returns the Status."""
    path = f"/sandbox/accounts/{name}/statuses/{status_id}"
    return _call(base_url, "PUT", path, {"text": text})


def list_live(base_url: str, name: str) -> list[dict[str, str]]:
    """The account's live posts, ``[{"id", "text", "created_at"}]``, newest first."""
    return _call(base_url, "GET", f"/sandbox/accounts/{name}/statuses")


def get_account(base_url: str, name: str) -> dict[str, Any]:
    """The account's Mastodon Account JSON (its ``id`` feeds ``/api/v1/accounts/:id``)."""
    return _call(base_url, "GET", f"/sandbox/accounts/{name}")


def get_faults(base_url: str) -> dict[str, Any]:
    """Current ``{"latency_ms", "rate_limit", "error_rate", "delete_hold_ms", "unlisted_ids"}``."""
    return _call(base_url, "GET", "/sandbox/faults")


def set_faults(
    base_url: str,
    *,
    latency_ms: int = _UNSET,
    rate_limit: str | None = _UNSET,
    error_rate: float = _UNSET,
    delete_hold_ms: int = _UNSET,
    unlisted_ids: list[str] = _UNSET,
) -> dict[str, Any]:
    """Change only the settings passed (``rate_limit=None`` removes the limit)."""
    changes = {
        "latency_ms": latency_ms,
        "rate_limit": rate_limit,
        "error_rate": error_rate,
        "delete_hold_ms": delete_hold_ms,
        "unlisted_ids": unlisted_ids,
    }
    body = {key: value for key, value in changes.items() if value is not _UNSET}
    return _call(base_url, "PUT", "/sandbox/faults", body)


def get_realism(base_url: str) -> dict[str, Any]:
    """Current realism switches (``sandbox.switches``)."""
    return _call(base_url, "GET", "/sandbox/realism")


def set_realism(base_url: str, **changes: Any) -> dict[str, Any]:
    """Change only the switches passed (``deletion_limit=None`` turns the limit off)."""
    return _call(base_url, "PUT", "/sandbox/realism", changes)


def get_behaviour(base_url: str) -> dict[str, Any]:
    """Current realism settings (markup, idempotency memory, limits): ``sandbox.behaviour``."""
    return _call(base_url, "GET", "/sandbox/behaviour")


def set_behaviour(base_url: str, **changes: Any) -> dict[str, Any]:
    """Change only the settings named, e.g. ``idempotency=False`` or ``markup=False``."""
    return _call(base_url, "PUT", "/sandbox/behaviour", changes)


def get_stats(base_url: str, *, reset: bool = False) -> dict[str, int]:
    """Request counters; ``reset`` zeroes them and returns zeros."""
    return _call(base_url, "DELETE" if reset else "GET", "/sandbox/stats")


def wait_ready(base_url: str, timeout: float = 10.0) -> None:
    """Block until ``/healthz`` answers, e.g. after starting ``sandbox serve``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _call(base_url, "GET", "/healthz")
            return
        except SandboxUnreachable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def set_streaming(base_url: str, **changes: Any) -> dict[str, Any]:
    """Change the user stream's switches (``enabled``, ``heartbeat_seconds``)."""
    return _call(base_url, "PUT", "/sandbox/streaming", changes)


def drop_streams(base_url: str) -> int:
    """End every open user stream at once; how many were open."""
    return int(_call(base_url, "POST", "/sandbox/streaming/drop")["dropped"])


def update_profile(
    base_url: str, token: str, files: dict[str, bytes] | None = None, **fields: str
) -> dict[str, Any]:
    """``PATCH /api/v1/accounts/update_credentials`` with the account's token, as an attacker
    would (form fields such as ``display_name``, ``note``, ``fields_attributes[0][name]``;
    ``files``: ``avatar``/``header`` image bytes)."""
    response = httpx.patch(
        base_url.rstrip("/") + "/api/v1/accounts/update_credentials",
        headers={"Authorization": f"Bearer {token}"},
        data=fields,
        files={k: (f"{k}.png", v, "image/png") for k, v in (files or {}).items()} or None,
        timeout=TIMEOUT,
    )
    if response.is_error:
        raise SandboxRequestError(response.status_code, response.text)
    return response.json()
