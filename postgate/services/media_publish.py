"""The images of a claimed post, as the connector gets them: bytes re-read and re-checked.

Invariant 1 covers the pictures: the approval is bound to each image's SHA-256, and just
before the platform call the worker reads the bytes again from the media backend and hashes
them. Bytes that are missing or hash to anything else (a swapped file on a shared volume, a
row edited in the store) mean no publish: the post is blocked with the reason.

Uploads that succeeded are remembered on the post (``Post.media_uploads``) by the claim's
holder, at once and in their own transaction, so an attempt that fails after some uploads
lets the next one reuse them (``postgate.platforms.media``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from postgate.media.config import media_settings
from postgate.media.links import download_link, link_key, public_url
from postgate.platforms.media import MediaFile
from postgate.runtime import Runtime
from postgate.services.publishing import Claim
from postgate.services.setup import load_web_secret
from postgate.store.models import MediaItem, Post
from postgate.store.types import utcnow

# Mastodon removes media never attached to a status after a day; reuse well before that.
REUSE_FOR = timedelta(hours=12)


class MediaMismatch(Exception):
    """An image is not what was approved; ``reason`` says which and how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def files_for(rt: Runtime, claim: Claim) -> list[MediaFile]:
    """Each image of the claimed post, its bytes checked against the approved SHA-256."""
    storage = media_settings(rt.settings).storage
    base, secret, now = public_url(rt.settings), load_web_secret(rt), utcnow()
    files = []
    with rt.store.session() as db:
        for position, entry in enumerate(claim.media, start=1):
            item = db.get(MediaItem, entry["id"])
            data = storage.get(db, entry["sha256"]) if item is not None else None
            if item is None or data is None:
                raise MediaMismatch(f"image {position} is missing from the media storage")
            if (
                hashlib.sha256(data).hexdigest() != entry["sha256"]
                or item.sha256 != entry["sha256"]
            ):
                raise MediaMismatch(f"image {position}: its bytes are not what was approved")
            link, until = None, None
            if base and secret:
                link, until = download_link(base, link_key(secret), item.id, item.sha256, now)
            files.append(
                MediaFile(
                    data=data,
                    mime=item.mime,
                    sha256=entry["sha256"],
                    alt=entry.get("alt") or "",
                    width=item.width,
                    height=item.height,
                    media_id=item.id,
                    download_url=link,
                    download_expires=until.isoformat() if until else None,
                )
            )
    return files


class StoreUploadMemo:
    """Uploads remembered on the post row, written only while the claim is held."""

    def __init__(self, rt: Runtime, claim: Claim, now: datetime | None = None) -> None:
        self._rt = rt
        self._claim = claim
        cutoff = (now or utcnow()) - REUSE_FOR
        self._known: dict[str, Any] = {
            key: value
            for key, value in claim.uploads.items()
            if isinstance(value, dict) and _fresh(value.get("at"), cutoff)
        }

    def get(self, key: str) -> str | None:
        found = self._known.get(key)
        return str(found["ref"]) if found else None

    def put(self, key: str, reference: str) -> None:
        self._known[key] = {"ref": reference, "at": utcnow().isoformat()}
        with self._rt.store.transaction() as db:
            db.execute(
                update(Post)
                .where(Post.id == self._claim.post_id, Post.claim_token == self._claim.token)
                .values(media_uploads=dict(self._known))
                .execution_options(synchronize_session=False)
            )


def _fresh(when: object, cutoff: datetime) -> bool:
    try:
        return isinstance(when, str) and datetime.fromisoformat(when) >= cutoff
    except ValueError:
        return False
