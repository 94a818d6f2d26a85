"""Reading the text in uploaded images, off the request path, and what follows from it.

An upload larger than ``ocr_inline_pixels`` is read by a worker (``workers.media``): Tesseract
takes a second or more on a large visual, which a request should not wait for. When its text
is known, every post awaiting review that shows the image is checked again, so a wrong price
in a picture blocks the post even if it was submitted before the picture was read. Until
then the post cannot be approved (``postgate.services.review``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.media.config import media_settings
from postgate.runtime import Runtime
from postgate.services.media import read_into
from postgate.services.posts import recheck_findings
from postgate.states import PostStatus
from postgate.store.models import MediaItem, Post

AWAITING = (PostStatus.PENDING_REVIEW, PostStatus.BLOCKED)


def read_pending(rt: Runtime, media_id: int) -> str:
    """Read the text of one upload still ``pending``; returns its status afterwards.

    Tesseract runs outside any transaction; the result is written only while the row is still
    pending (two workers may race: the first wins), then the posts showing it are re-checked.
    """
    config = media_settings(rt.settings)
    with rt.store.session() as db:
        item = db.get(MediaItem, media_id)
        if item is None or item.ocr_status != "pending":
            return item.ocr_status if item else "gone"
        data = config.storage.get(db, item.sha256)
    probe = MediaItem(ocr_status="failed", ocr_text="")
    if data is not None:
        read_into(probe, data)
    with rt.store.transaction() as db:
        item = db.get(MediaItem, media_id)
        if item is None or item.ocr_status != "pending":
            return item.ocr_status if item else "gone"
        item.ocr_text, item.ocr_status = probe.ocr_text, probe.ocr_status
        db.flush()
        recheck_posts_showing(rt, db, media_id)
        return item.ocr_status


def recheck_posts_showing(rt: Runtime, db: Session, media_id: int) -> int:
    """Re-run the rules on the posts awaiting review that show ``media_id``; how many."""
    count = 0
    query = select(Post).where(Post.status.in_(AWAITING)).with_for_update()
    for post in db.scalars(query):
        if any(m.get("id") == media_id for m in post.media or []):
            recheck_findings(rt, db, post)
            count += 1
    return count
