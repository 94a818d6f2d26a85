"""Where a post's media files are, read from the platform's own record of the post.

A takedown keeps the platform's full record of each post (``RemotePost.raw``) before it
changes anything; the files that record names are downloaded into the evidence next. Each
platform says where they are in its own way:

- Mastodon (and the sandbox): ``media_attachments[]`` with ``url`` (null while the server
  still processes the file), ``remote_url`` for a file of another server, ``preview_url``
  and ``description`` (https://docs.joinmastodon.org/entities/MediaAttachment/); a boost's
  are in its ``reblog``.
- Bluesky: the record's ``app.bsky.embed.images`` embed (or the media of an
  ``app.bsky.embed.recordWithMedia``), each image a blob whose CID is ``ref.$link`` with its
  ``alt``; the file is ``com.atproto.sync.getBlob?did=...&cid=...`` on the account's PDS
  (https://docs.bsky.app/docs/api/com-atproto-sync-get-blob).

The URLs found here are fetched through the SSRF guard, never with the account's token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

MAX_FILES = 16  # per post: no platform allows more; a record naming more is cut


@dataclass(frozen=True)
class MediaRef:
    """One file a post shows: where to fetch it and what the platform says about it."""

    url: str
    description: str | None
    kind: str


def media_refs(platform: str, record: Any, base_url: str) -> list[MediaRef]:
    """The files ``record`` (a post as the platform listed it) names; [] when none or the
    platform has no reader here."""
    reader = _READERS.get(platform)
    if reader is None or not isinstance(record, dict):
        return []
    return reader(record, base_url.rstrip("/"))[:MAX_FILES]


def _mastodon(status: dict[str, Any], base_url: str) -> list[MediaRef]:
    found: list[MediaRef] = []
    reblog = status.get("reblog")
    for owner in (status, reblog if isinstance(reblog, dict) else {}):
        attachments = owner.get("media_attachments")
        for item in attachments if isinstance(attachments, list) else []:
            if not isinstance(item, dict):
                continue
            url = next(
                (u for u in (item.get(k) for k in ("url", "remote_url", "preview_url")) if _web(u)),
                None,
            )
            if url is not None:
                found.append(
                    MediaRef(
                        url, _text(item.get("description")), _text(item.get("type")) or "image"
                    )
                )
    return found


def _bluesky(record: dict[str, Any], base_url: str) -> list[MediaRef]:
    uri, value = record.get("uri"), record.get("value")
    if not isinstance(uri, str) or not uri.startswith("at://") or not isinstance(value, dict):
        return []
    did = uri.removeprefix("at://").split("/", 1)[0]
    embed = value.get("embed")
    if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = embed.get("media")
    images = embed.get("images") if isinstance(embed, dict) else None
    found = []
    for image in images if isinstance(images, list) else []:
        blob = image.get("image") if isinstance(image, dict) else None
        cid = _blob_cid(blob)
        if cid:
            query = urlencode({"did": did, "cid": cid})
            url = f"{base_url}/xrpc/com.atproto.sync.getBlob?{query}"
            found.append(MediaRef(url, _text(image.get("alt")), "image"))
    return found


def _blob_cid(blob: Any) -> str | None:
    """A blob's CID: ``ref.$link`` (the lexicon's blob type), or a legacy blob's ``cid``."""
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    cid = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    return cid if isinstance(cid, str) and cid.isalnum() else None


def _web(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


_READERS: dict[str, Callable[[dict[str, Any], str], list[MediaRef]]] = {
    "mastodon": _mastodon,
    "sandbox": _mastodon,
    "bluesky": _bluesky,
}
