"""Instagram professional accounts, through the Instagram API with Facebook Login.

The credentials hold a user access token of the Meta app (``instagram_basic``,
``instagram_content_publish``, ``instagram_manage_contents``, ``pages_show_list``,
``pages_read_engagement``) and the
Instagram account's id (``ig_user_id``, the ``instagram_business_account`` of its Page).

Publishing takes two steps (https://developers.facebook.com/docs/instagram-platform/content-publishing/):
a container, then ``POST /{ig-user-id}/media_publish`` with ``creation_id``, answered
``{"id": <media id>}``; only the second makes anything public.

- One image: ``POST /{ig-user-id}/media`` with ``image_url``, ``caption`` and ``alt_text``.
- Several (a carousel, up to 10): one item container per image (``is_carousel_item=true``),
  then ``media_type=CAROUSEL`` with ``children`` (the ids, comma-separated) and ``caption``.

Instagram fetches each image from a public URL (Postgate's signed download link, so
``[web] public_url`` must be set), and **every post needs an image**: a text alone is refused
here before any call (and by the platform-limits rule, ``min_media``). Item containers live
24 hours, so a retry reuses those the memo holds.

Listing: ``GET /{ig-user-id}/media`` (``caption``, ``timestamp``, ``permalink``), cursor-paged.
Delete: ``DELETE /{ig-media-id}``, answered ``{"success": true}``, with the
``instagram_manage_contents`` permission; Meta offers it to Facebook Login tokens only (not
to Instagram Login), since December 2025, for whole posts (not one image of a carousel)
(https://developers.facebook.com/docs/instagram-platform/reference/instagram-media#deleting).
The publishing limit (50 posts in a moving
24 hours, ``GET /{ig-user-id}/content_publishing_limit``) is refused with code 9.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .base import AccountInfo, PermanentError, RemotePost
from .containers import ContainerConnector
from .graph import bearer
from .http import segment
from .media import MediaFile, UploadMemo

DEFAULT_BASE_URL = "https://graph.facebook.com/v25.0"
FIELDS = "id,caption,timestamp,permalink,media_type"


class InstagramConnector(ContainerConnector):
    """An Instagram professional account reached with a Facebook Login user token."""

    platform = "instagram"
    default_base_url = DEFAULT_BASE_URL
    edge, text_field, fields = "media", "caption", FIELDS

    status_fields = ("status_code", "status")

    def __init__(self, *, credentials: dict[str, str], **kwargs: Any) -> None:
        super().__init__(credentials=credentials, **kwargs)
        self._user = segment(credentials["ig_user_id"])

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        key_time: datetime | None = None,
        media: Sequence[MediaFile] = (),
        uploads: UploadMemo | None = None,
    ) -> RemotePost:
        if not media:
            raise PermanentError("instagram: every Instagram post needs at least one image")
        return super().publish(text, idempotency_key=idempotency_key, media=media, uploads=uploads)

    def delete(self, remote_id: str) -> str:
        return self._delete_object(remote_id, self._token)

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request(
            "GET",
            f"/{self._user}",
            params={"fields": "id,username,media_count"},
            headers=bearer(self._token),
        )
        answer = self._http.answer(response, "the account")
        user = answer.object()
        username = answer.text(user.get("username"), "a username")
        count = user.get("media_count")
        return AccountInfo(
            answer.identifier(user.get("id"), "an id"),
            username,
            f"https://www.instagram.com/{username}/" if username else None,
            posts_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        )
