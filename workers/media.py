"""The job that reads the text in an uploaded image (``postgate.services.media_text``)."""

from __future__ import annotations

from postgate.runtime import process_runtime
from postgate.services.media_text import read_pending


def read_media_text(media_id: int) -> str:
    """RQ entry point: Tesseract on one upload, then its posts checked again."""
    return read_pending(process_runtime(), media_id)
