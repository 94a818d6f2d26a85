"""``/api/v1/media``: upload an image, read what is known of it, fetch its bytes.

An upload is ``multipart/form-data`` with the image in ``file`` (and optionally its
``description``), as Mastodon's ``POST /api/v2/media`` takes it. The bytes come back only
through ``GET /media/<id>/file``, after the same authorization check as the JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from gateway.access import caller
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.context import rt, source_address
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import media

bp = ApiBlueprint("media", __name__, tag="media")

UPLOAD_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "contentMediaType": "application/octet-stream",
            "description": "The image: JPEG, PNG, WebP or GIF, judged by its bytes.",
        },
        "description": {
            "type": "string",
            "maxLength": media.MAX_DESCRIPTION,
            "description": "Its alternative text (a post's `media[].alt` is what publishes).",
        },
    },
}


@bp.operation(
    "POST",
    "/media",
    roles=policy.WRITE_POSTS,
    upload=UPLOAD_FORM,
    answers={201: answers.Media},
)
def upload() -> tuple[dict[str, Any], int]:
    """Upload an image: its type is judged from its bytes, its metadata (EXIF: GPS position,
    camera serial, author; XMP, IPTC, comments) removed before it is kept.

    Attach it to a post with `media: [{"id", "alt"}]` on `POST /posts` or `PATCH
    /posts/<id>`. The text in it is read (OCR) during the upload or soon after
    (`ocr_status`); until then a post showing it cannot be approved."""
    if not request.content_type or not request.content_type.startswith("multipart/form-data"):
        raise ValidationFailed(
            "send the image as multipart/form-data, in the field file", field="file"
        )
    sent = request.files.get("file")
    if sent is None:
        raise ValidationFailed("file is required: the image", field="file")
    description = request.form.get("description", "")  # NUL refused at the door (inputs)
    data = sent.read()
    with rt().store.transaction() as db:
        item = media.upload(rt(), db, caller(db), data, description, source=source_address())
        shown, pending = media.media_to_dict(item), item.ocr_status == "pending"
    if pending:
        media.queue_text_reading(rt(), shown["id"])
    return shown, 201


@bp.operation("GET", "/media/<id:media_id>", answers={200: answers.Media})
def get_media(media_id: int) -> dict[str, Any]:
    """An upload: its uploader's, or any for who sees every post (reviewers, security,
    admins)."""
    with rt().store.session() as db:
        return media.media_to_dict(media.readable_media(db, caller(db), media_id))


@bp.operation(
    "GET",
    "/media/<id:media_id>/file",
    answers={200: {"image/jpeg": None, "image/png": None, "image/webp": None, "image/gif": None}},
)
def get_media_file(media_id: int) -> Response:
    """The image's bytes as kept (metadata removed), for who may see the upload."""
    with rt().store.session() as db:
        item, data = media.media_bytes(rt(), db, caller(db), media_id)
        mime, sha256 = item.mime, item.sha256
    response = Response(data, mimetype=mime)
    response.headers["ETag"] = f'"{sha256}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
