"""The canonical content of a post and its SHA-256: what an approval is bound to."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


def content_hash(
    account: str,
    text: str,
    scheduled_at: datetime | None,
    media: Sequence[Mapping[str, Any]] = (),
    links: Sequence[str] = (),
) -> str:
    """SHA-256 over a canonical JSON of everything that would reach the platform.

    ``media`` are the post's images in order, each with the SHA-256 of its bytes and its alt
    text: replacing, reordering or re-describing an image changes the hash like a text edit.
    """
    when = scheduled_at.astimezone(UTC).isoformat(timespec="seconds") if scheduled_at else None
    canonical = json.dumps(
        {
            "account": account,
            "text": text,
            "scheduled_at": when,
            "media": [{"sha256": m["sha256"], "alt": m.get("alt") or ""} for m in media],
            "links": list(links),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
