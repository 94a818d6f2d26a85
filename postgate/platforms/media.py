"""Images on their way to a platform: what a connector gets, and what it remembers.

A post with images is published in two steps on every platform: upload each image, then
create the post naming them. Only the second step makes anything public, so a failure while
uploading never leaves half a post: the post is created only when all its images are
uploaded (and, on Mastodon, processed). Uploads are remembered (:class:`UploadMemo`, kept in
the store by the worker), so a retry reuses those that succeeded instead of sending them
again; the memo is keyed by the image's SHA-256 and the SHA-256 of its alt text, so a
re-described image is uploaded anew.

A failure while uploading happened before anything was posted: it is never an unknown
outcome for the post (:func:`before_the_post`), even when the upload's own answer was lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .base import ConnectorError, RetryableError


@dataclass(frozen=True)
class MediaFile:
    """One image of the post, in order: its bytes (already checked against the approved
    SHA-256 by the worker), type, size in pixels and alt text."""

    data: bytes
    mime: str
    sha256: str
    alt: str
    width: int
    height: int
    media_id: int = 0  # Postgate's id of the upload (for download links)
    download_url: str | None = None  # a signed, expiring link to the bytes (webhook)
    download_expires: str | None = None  # when that link stops working (ISO 8601)

    @property
    def key(self) -> str:
        """What an upload is remembered by: these bytes with this alt text."""
        return f"{self.sha256}:{hashlib.sha256(self.alt.encode()).hexdigest()[:16]}"

    @property
    def filename(self) -> str:
        return f"{self.sha256[:16]}.{self.mime.split('/')[1]}"

    def __repr__(self) -> str:
        return f"<MediaFile {self.sha256[:12]} {self.mime} {len(self.data)} bytes>"


class UploadMemo(Protocol):
    """Uploads that succeeded for this post: ``key`` -> the platform's reference."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, reference: str) -> None: ...


class NoMemo:
    """Remembers nothing (a single try, tests)."""

    def get(self, key: str) -> str | None:
        return None

    def put(self, key: str, reference: str) -> None:
        return None


def before_the_post(error: ConnectorError) -> ConnectorError:
    """An error met while uploading: the post itself was not sent, so its outcome is known."""
    if isinstance(error, RetryableError) and error.outcome_unknown:
        return RetryableError(error.message, status=error.status, retry_after=error.retry_after)
    return error


Sleeper = Callable[[float], None]
