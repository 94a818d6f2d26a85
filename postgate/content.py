"""The canonical content of a post and its SHA-256: what an approval is bound to."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime


def content_hash(
    account: str,
    text: str,
    scheduled_at: datetime | None,
    media: Sequence[str] = (),
    links: Sequence[str] = (),
) -> str:
    """SHA-256 over a canonical JSON of everything that would reach the platform."""
    when = scheduled_at.astimezone(UTC).isoformat(timespec="seconds") if scheduled_at else None
    canonical = json.dumps(
        {
            "account": account,
            "text": text,
            "scheduled_at": when,
            "media": list(media),
            "links": list(links),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
