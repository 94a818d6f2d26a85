"""``GET /api/v2/instance``: the server's limits, as Mastodon's ``REST::InstanceSerializer``.

Clients read ``configuration.statuses`` (``max_characters``, ``max_media_attachments``,
``characters_reserved_per_url``) and ``configuration.media_attachments`` instead of assuming
Mastodon's defaults, since servers change them; the sandbox answers what its
:class:`~sandbox.behaviour.Behaviour` currently enforces. Media limits are Mastodon's
constants (``MediaAttachment::IMAGE_LIMIT`` and friends).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify

from sandbox.behaviour import Behaviour
from sandbox.state import current_state

bp = Blueprint("sandbox_instance", __name__)

IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp"]
VIDEO_TYPES = ["video/webm", "video/mp4", "video/quicktime", "video/ogg"]
AUDIO_TYPES = ["audio/wave", "audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp3", "audio/ogg"]
MEDIA_LIMITS = {
    "description_limit": 1500,
    "image_matrix_limit": 33_177_600,  # 7680 x 4320
    "image_size_limit": 16 * 1024 * 1024,
    "supported_mime_types": IMAGE_TYPES + VIDEO_TYPES + AUDIO_TYPES,
    "video_frame_rate_limit": 120,
    "video_matrix_limit": 8_294_400,  # 3840 x 2160
    "video_size_limit": 99 * 1024 * 1024,
}


@bp.get("/api/v2/instance")
def instance() -> Response:
    """The Instance entity (the parts a client of the statuses API reads)."""
    state = current_state()
    return jsonify(instance_json(state.base(), state.behaviour))


def instance_json(base: str, rules: Behaviour) -> dict[str, Any]:
    """The entity for a server at ``base`` enforcing ``rules``."""
    domain = urlsplit(base).netloc
    return {
        "domain": domain,
        "title": "Postgate sandbox",
        "version": "4.3.0 (compatible; Postgate sandbox)",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A local Mastodon-API server for Postgate's tests and demos.",
        "usage": {"users": {"active_month": 0}},
        "thumbnail": {"url": f"{base}/packs/media/images/preview.png"},
        "languages": ["en", "fr"],
        "configuration": {
            "urls": {"streaming": base.replace("http", "ws", 1), "status": None},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": rules.max_characters,
                "max_media_attachments": rules.max_media_attachments,
                "characters_reserved_per_url": rules.characters_reserved_per_url,
            },
            "media_attachments": dict(MEDIA_LIMITS),
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2_629_746,
            },
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": "", "account": None},
        "rules": [],
    }
