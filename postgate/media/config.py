"""The media settings (``[media]`` of the settings file) as the services use them."""

from __future__ import annotations

from dataclasses import dataclass

from postgate.media.storage import DirectoryBackend, MediaStorage, StoreBackend
from postgate.settings import Settings


@dataclass(frozen=True)
class MediaSettings:
    """``max_bytes`` per upload; ``ocr_inline_pixels``: images up to this many pixels are
    read during the upload itself, larger ones by a worker (0: always by a worker)."""

    storage: MediaStorage
    max_bytes: int
    ocr_inline_pixels: int


def media_settings(settings: Settings) -> MediaSettings:
    return MediaSettings(
        storage_for(settings), settings.media_max_bytes, settings.media_ocr_inline_pixels
    )


def storage_for(settings: Settings) -> MediaStorage:
    """The backend ``[media] backend`` names: the store, or a folder (``directory``, by
    default ``<instance>/media``)."""
    if settings.media_backend == "directory":
        return DirectoryBackend(settings.media_directory or settings.instance_path / "media")
    return StoreBackend()
