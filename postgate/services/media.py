"""Uploading images, attaching them to posts, and reading them back, with the checks.

An upload is refused unless its bytes are a JPEG, PNG, WebP or GIF image (whatever its name
says), within the size limit; its metadata is removed before anything is stored, and what is
stored is named by the SHA-256 of what remains (``postgate.media``). The text in it is read by
Tesseract, during the upload for a small image when configured, otherwise by a worker
(``workers.media``): until then ``ocr_status`` is ``pending`` and a post showing it cannot be
approved.

Bytes leave only through :func:`readable_media`: to the person who uploaded them, and to
those who may see every post (reviewers, security, admins), who review them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import policy, queue
from postgate.audit import Event
from postgate.errors import NotFound, ValidationFailed
from postgate.media import images, ocr
from postgate.media.config import media_settings
from postgate.runtime import Runtime
from postgate.store.models import Account, MediaItem, User
from rules import DraftImage

log = logging.getLogger("postgate.media")

MAX_DESCRIPTION = 1500  # Mastodon's limit; each platform's own is the alt_text rule's
OCR_STATUSES = ("pending", "done", "failed")


def upload(
    rt: Runtime,
    db: Session,
    user: User,
    data: bytes,
    description: str = "",
    *,
    source: str = "",
) -> MediaItem:
    """Check, strip and keep an image; returns its row (``ocr_status`` pending or done)."""
    config = media_settings(rt.settings)
    if not data:
        raise ValidationFailed("file is required: the image, as multipart form data", field="file")
    if len(data) > config.max_bytes:
        raise ValidationFailed(
            "the image is larger than {count} bytes", field="file", count=config.max_bytes
        )
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            "description is longer than {count} characters",
            field="description",
            count=MAX_DESCRIPTION,
        )
    info = images.inspect(data)
    clean = images.strip_metadata(data, info.mime)
    info = images.inspect(clean)  # what is kept must still be the same kind of image
    sha256 = config.storage.put(db, clean)
    item = MediaItem(
        sha256=sha256,
        mime=info.mime,
        width=info.width,
        height=info.height,
        size=len(clean),
        description=description,
        uploaded_by_id=user.id,
        ocr_status="pending",
        ocr_text="",
    )
    if info.width * info.height <= config.ocr_inline_pixels:
        read_into(item, clean)
    db.add(item)
    db.flush()
    rt.audit(
        db,
        Event.MEDIA_UPLOAD,
        actor=user.username,
        target=f"media:{item.id}",
        source=source,
        details={"sha256": sha256, "mime": info.mime, "size": len(clean)},
    )
    return item


def read_into(item: MediaItem, data: bytes) -> None:
    """Run Tesseract on ``data`` into ``item``; a failure is recorded, never raised."""
    try:
        item.ocr_text, item.ocr_status = ocr.read_text(data).text, "done"
    except ocr.OcrUnavailable:
        item.ocr_text, item.ocr_status = "", "failed"


def queue_text_reading(rt: Runtime, media_id: int) -> None:
    """After the upload committed: ask a worker to read its text. A queue that cannot be told
    is no error for the uploader: the reconciler queues every upload still ``pending``."""
    try:
        queue.enqueue_media_text(rt, media_id)
    except Exception:
        log.warning("could not queue reading media %s; the reconciler will", media_id)


def pending_media(db: Session, limit: int = 500) -> list[int]:
    """Uploads whose text is still to be read (for the reconciler)."""
    query = select(MediaItem.id).where(MediaItem.ocr_status == "pending").limit(limit)
    return list(db.scalars(query))


def readable_media(db: Session, user: User, media_id: int) -> MediaItem:
    """The upload if ``user`` may see it (its uploader, or one who sees every post); a 404
    otherwise, so ids cannot be probed."""
    item = db.get(MediaItem, media_id)
    if item is None or (
        item.uploaded_by_id != user.id and not user.has_role(*policy.SEE_ALL_POSTS)
    ):
        raise NotFound("no media {id}", field="id", id=str(media_id))
    return item


def media_bytes(rt: Runtime, db: Session, user: User, media_id: int) -> tuple[MediaItem, bytes]:
    """The upload and its bytes, after the authorization check."""
    item = readable_media(db, user, media_id)
    data = media_settings(rt.settings).storage.get(db, item.sha256)
    if data is None:
        raise NotFound("the bytes of media {id} are missing", field="id", id=str(media_id))
    return item, data


def attach(
    db: Session, user: User, account: Account, entries: Sequence[Any], limit: int
) -> list[dict[str, Any]]:
    """``[{"id", "alt"}]`` from a request as a post holds it: ``[{"id", "sha256", "alt"}]``.

    Only one's own uploads can be attached; at most ``limit`` (the platform's media limit).
    Alt text is checked by the rules (``alt_text``), not here: a missing one is a finding the
    author sees, not a refusal.
    """
    if len(entries) > limit:
        raise ValidationFailed(
            "a post on {platform} takes at most {count} images",
            field="media",
            platform=account.platform,
            count=limit,
        )
    attached: list[dict[str, Any]] = []
    for entry in entries:
        media_id, alt = entry["id"], entry.get("alt") or ""
        item = db.get(MediaItem, media_id)
        if item is None or item.uploaded_by_id != user.id:
            raise NotFound("no media {id}", field="media", id=str(media_id))
        if len(alt) > MAX_DESCRIPTION:
            raise ValidationFailed(
                "alt text is longer than {count} characters", field="media", count=MAX_DESCRIPTION
            )
        attached.append({"id": item.id, "sha256": item.sha256, "alt": alt})
    return attached


def media_rows(db: Session, media: Sequence[Any]) -> dict[int, MediaItem]:
    """The uploads a post's ``media`` list names, by id."""
    ids = [m["id"] for m in media or []]
    if not ids:
        return {}
    return {m.id: m for m in db.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))}


def draft_images(db: Session, media: Sequence[Any]) -> list[DraftImage]:
    """A post's images as the rules read them: alt text, and the text found in each."""
    rows = media_rows(db, media)
    return [
        DraftImage(
            position=n,
            alt=entry.get("alt") or "",
            text=rows[entry["id"]].ocr_text if entry["id"] in rows else "",
            size=rows[entry["id"]].size if entry["id"] in rows else 0,
        )
        for n, entry in enumerate(media or [], start=1)
    ]


def unread_images(db: Session, media: Sequence[Any]) -> list[int]:
    """Positions (from 1) of the images whose text is still being read."""
    rows = media_rows(db, media)
    return [
        n
        for n, entry in enumerate(media or [], start=1)
        if entry["id"] in rows and rows[entry["id"]].ocr_status == "pending"
    ]


def media_to_dict(item: MediaItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "sha256": item.sha256,
        "mime": item.mime,
        "width": item.width,
        "height": item.height,
        "size": item.size,
        "description": item.description,
        "ocr_status": item.ocr_status,
        "ocr_text": item.ocr_text,
    }
