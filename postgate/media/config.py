"""The ``[media]`` table of the settings file, read once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from postgate.errors import SettingsError
from postgate.media.storage import MediaStorage, storage_from
from postgate.settings import Settings

DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # Mastodon's own limit for an image


@dataclass(frozen=True)
class MediaSettings:
    """``max_bytes`` per upload; ``ocr_inline_pixels``: images up to this many pixels are
    read during the upload itself, larger ones by a worker (0: always by a worker)."""

    storage: MediaStorage
    max_bytes: int = DEFAULT_MAX_BYTES
    ocr_inline_pixels: int = 0


def media_settings(settings: Settings) -> MediaSettings:
    table: Any = settings.extra.get("media", {})
    if not isinstance(table, dict):
        raise SettingsError("[media] in the settings file must be a table")
    numbers = {}
    for key in ("max_bytes", "ocr_inline_pixels"):
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SettingsError("{key} in [media] must be a whole number", key=key)
            numbers[key] = value
    return MediaSettings(storage_from(table, settings.instance_path), **numbers)
