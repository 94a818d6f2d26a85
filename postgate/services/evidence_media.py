"""A takedown's evidence keeps the posts' media files, downloaded before anything changes.

For each item the takedown found, the files the platform's record names
(:func:`postgate.platforms.evidence_media.media_refs`) are fetched and kept in the media
storage (content-addressed: the name is the SHA-256), and the item's evidence lists them:
``media: [{"url", "description", "kind", "sha256", "bytes", "mime"}]``, or, for a file that
could not be had, ``{"url", "description", "kind", "error"}``. The takedown job captures
before it neutralises or deletes an item, and an item is captured once (``media`` present),
so a run resumed after a crash does not fetch again.

Downloads are bounded: at most :data:`MAX_BYTES` per file and :data:`MAX_SECONDS` each,
through the SSRF guard (:mod:`postgate.urlguard`) with the platform's policy, redirects
each checked again, and never with the account's credentials: media often live on another
host (a CDN), which must not see the token.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from postgate.media.config import storage_for
from postgate.media.images import sniff
from postgate.platforms.bluesky import DEFAULT_BASE_URL as BLUESKY
from postgate.platforms.evidence_media import MediaRef, media_refs
from postgate.platforms.registry import platform_spec
from postgate.runtime import Runtime
from postgate.services.credentials import url_policy
from postgate.store.models import Account
from postgate.urlguard import URLRefused, guarded_client

MAX_BYTES = 40 * 1024 * 1024
MAX_SECONDS = 30.0
DEFAULT_BASE_URLS = {"bluesky": BLUESKY}


class DownloadFailed(Exception):
    """The file could not be had; the message says why, safe to show."""


def refs_for(rt: Runtime, account: Account, record: Any) -> list[MediaRef]:
    """The files the account's post ``record`` names, with the account's server as base."""
    base = account.base_url or ""
    if not base:
        local = platform_spec(account.platform).local
        base = rt.settings.sandbox_url if local else DEFAULT_BASE_URLS.get(account.platform, "")
    return media_refs(account.platform, record, base)


def capture(rt: Runtime, account: Account, record: Any) -> list[dict[str, Any]]:
    """Download the files ``record`` names and keep them; one evidence entry per file."""
    storage = storage_for(rt.settings)
    entries = []
    for ref in refs_for(rt, account, record):
        entry: dict[str, Any] = {"url": ref.url, "description": ref.description, "kind": ref.kind}
        try:
            data = download(rt, account.platform, ref.url)
        except DownloadFailed as exc:
            entry["error"] = str(exc)
        else:
            with rt.store.transaction() as db:
                entry["sha256"] = storage.put(db, data)
            entry["bytes"], entry["mime"] = len(data), sniff(data) or "application/octet-stream"
        entries.append(entry)
    return entries


def download(rt: Runtime, platform: str, url: str) -> bytes:
    """The file at ``url``, at most :data:`MAX_BYTES` within :data:`MAX_SECONDS`."""
    started = time.monotonic()
    timeout = httpx.Timeout(10.0, read=MAX_SECONDS)
    client = guarded_client(
        url_policy(rt, platform), timeout=timeout, follow_redirects=True, max_redirects=3
    )
    try:
        with client, client.stream("GET", url, headers={"User-Agent": "Postgate"}) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"the server answered {response.status_code}")
            if int(response.headers.get("content-length") or 0) > MAX_BYTES:
                raise DownloadFailed(f"larger than {MAX_BYTES} bytes")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise DownloadFailed(f"larger than {MAX_BYTES} bytes")
                if time.monotonic() - started > MAX_SECONDS:
                    raise DownloadFailed(f"took longer than {MAX_SECONDS:.0f} s")
                chunks.append(chunk)
    except httpx.HTTPError as exc:  # refused by the guard, timed out, too many redirects
        raise DownloadFailed(_why(exc)) from None
    return b"".join(chunks)


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, URLRefused):
        return f"refused: {str(exc)[:200]}"
    return f"could not fetch it: {str(exc)[:200] or type(exc).__name__}"
