"""Signed, expiring download links to an image, for receivers that fetch it themselves.

The webhook platform sends each image's SHA-256 and a link instead of the bytes: the receiver
downloads it from Postgate (``GET /media/download/<id>?expires=...&sig=...``) and checks the
hash. The link needs no login, so it is an HMAC, under a key derived from the web secret, of
the upload's id, the SHA-256 of its bytes and the expiry time: it opens that one image, those
exact bytes, until then. The address is ``public_url`` of ``[web]`` in the settings file.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import urlencode

from postgate.settings import Settings

DOMAIN = b"postgate media download link v1"
VALID_FOR = timedelta(hours=24)


def link_key(web_secret: str) -> bytes:
    return hmac.new(web_secret.encode(), DOMAIN, hashlib.sha256).digest()


def signature(key: bytes, media_id: int, sha256: str, expires: int) -> str:
    message = f"{media_id}:{sha256}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def public_url(settings: Settings) -> str | None:
    return settings.public_url


def download_link(
    base: str, key: bytes, media_id: int, sha256: str, now: datetime
) -> tuple[str, datetime]:
    """The link and when it stops working."""
    until = now + VALID_FOR
    expires = int(until.timestamp())
    query = urlencode({"expires": expires, "sig": signature(key, media_id, sha256, expires)})
    return f"{base}/media/download/{media_id}?{query}", until


def link_valid(
    key: bytes, media_id: int, sha256: str, expires: str, sig: str, now: datetime
) -> bool:
    if not expires.isdigit() or int(expires) < now.timestamp():
        return False
    return hmac.compare_digest(signature(key, media_id, sha256, int(expires)), sig)
