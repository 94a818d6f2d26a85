"""Where image bytes live: one small interface, two backends, content-addressed by SHA-256.

- ``store`` (the default): a row per image in the store itself (``media_blobs``). Web and
  workers on different machines see the same bytes with nothing else to share, and a backup
  of the store holds the images.
- ``directory``: files under a folder (a shared volume when web and workers are on several
  machines), at ``<folder>/<aa>/<bb>/<sha256>``, written to a temporary name and renamed, so
  a reader never sees half a file.

Either way a blob's name is its SHA-256, so the same image uploaded twice is stored once and
a blob can never be swapped under a post's hash. Nothing here checks who may read: the media
service does, before it asks a backend for bytes (``postgate.services.media``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.store.models import MediaBlob

_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class MediaStorage(Protocol):
    """Bytes by their SHA-256. ``db`` is the caller's transaction (the store backend writes in
    it, so a blob and the row naming it commit together); the directory backend ignores it."""

    name: str

    def put(self, db: Session, data: bytes) -> str:
        """Keep ``data``; returns its SHA-256."""

    def get(self, db: Session, sha256: str) -> bytes | None:
        """The bytes named ``sha256``, or None when they are not here."""


class StoreBackend:
    """Images as rows of the store (``media_blobs``)."""

    name = "store"

    def put(self, db: Session, data: bytes) -> str:
        digest = sha256_of(data)
        if db.get(MediaBlob, digest) is None:
            db.add(MediaBlob(sha256=digest, size=len(data), data=data))
            db.flush()
        return digest

    def get(self, db: Session, sha256: str) -> bytes | None:
        if not _SHA256.fullmatch(sha256):
            return None
        return db.scalar(select(MediaBlob.data).where(MediaBlob.sha256 == sha256))


class DirectoryBackend:
    """Images as files in a folder (a shared volume for several machines)."""

    name = "directory"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, db: Session, data: bytes) -> str:
        digest = sha256_of(data)
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, db: Session, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except (ValueError, FileNotFoundError):
            return None
