"""Images on the pages: an upload from the compose page, an image shown to who may see it,
and the signed download links the webhook platform hands its receivers.

``/media/<id>`` serves the bytes as kept (metadata removed) after the same check as the API
(its uploader, or who sees every post); ``/media/download/<id>`` needs no login but a valid,
unexpired signature over the upload's id and SHA-256 (``postgate.media.links``).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from gateway.access import caller, login_required, roles_required
from gateway.context import rt, source_address
from gateway.inputs import TAKES_UPLOAD
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.media.config import media_settings
from postgate.media.links import link_key, link_valid
from postgate.services import media
from postgate.services.setup import load_web_secret
from postgate.store.models import MediaItem
from postgate.store.types import utcnow

bp = Blueprint("media", __name__)


def image_response(mime: str, sha256: str, data: bytes) -> Response:
    response = Response(data, mimetype=mime)
    response.headers["ETag"] = f'"{sha256}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/media/upload", endpoint="upload")
@roles_required(policy.WRITE_POSTS)
def upload() -> ResponseReturnValue:
    """The compose page's picker and drop zone send each file here (with the CSRF header)."""
    sent = request.files.get("file")
    if sent is None:
        raise ValidationFailed("file is required: the image", field="file")
    with rt().store.transaction() as db:
        item = media.upload(rt(), db, caller(db), sent.read(), source=source_address())
        shown = media.media_to_dict(item)
    if shown["ocr_status"] == "pending":
        media.queue_text_reading(rt(), shown["id"])
    return jsonify({**shown, "url": url_for("media.file", media_id=shown["id"])}), 201


setattr(upload, TAKES_UPLOAD, True)


@bp.get("/media/<int:media_id>", endpoint="file")
@login_required
def image(media_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        item, data = media.media_bytes(rt(), db, caller(db), media_id)
        return image_response(item.mime, item.sha256, data)


@bp.get("/media/download/<int:media_id>", endpoint="download")
def download(media_id: int) -> ResponseReturnValue:
    """A signed link's image (public: the signature is the permission)."""
    secret = load_web_secret(rt())
    with rt().store.session() as db:
        item = db.get(MediaItem, media_id)
        if item is None or secret is None:
            abort(404)
        valid = link_valid(
            link_key(secret),
            item.id,
            item.sha256,
            request.args.get("expires", ""),
            request.args.get("sig", ""),
            utcnow(),
        )
        if not valid:
            abort(403)
        data = media_settings(rt().settings).storage.get(db, item.sha256)
        if data is None:
            abort(404)
        return image_response(item.mime, item.sha256, data)
