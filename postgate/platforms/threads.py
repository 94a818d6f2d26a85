"""Threads, through the Threads API (``graph.threads.net``) with a Threads user token.

The credentials hold the access token of the Threads app (``threads_basic``,
``threads_content_publish``, ``threads_delete``) and the Threads user id (``user_id``;
``me`` when absent).

Publishing takes two steps (https://developers.facebook.com/docs/threads/posts): a container
``POST /{threads-user-id}/threads``, then ``POST /{threads-user-id}/threads_publish`` with
``creation_id``, answered ``{"id": <media id>}``; only the second makes anything public.

- Text: ``media_type=TEXT`` and ``text``.
- One image: ``media_type=IMAGE``, ``image_url``, ``alt_text``, ``text``.
- Several (a carousel, up to 20): one item container per image (``is_carousel_item=true``),
  then ``media_type=CAROUSEL``, ``children`` (comma-separated ids) and ``text``
  (https://developers.facebook.com/docs/threads/posts#carousel-posts).

Threads fetches images from a public URL (``[web] public_url`` must be set). Listing:
``GET /{threads-user-id}/threads`` (https://developers.facebook.com/docs/threads/threads-media),
cursor-paged. Delete: ``DELETE /{threads-media-id}``, answered ``{"success": true,
"deleted_id"}``, at most 100 a day (https://developers.facebook.com/docs/threads/posts/delete-posts).
Posting: at most 250 posts in a moving 24 hours (https://developers.facebook.com/docs/threads/overview#rate-limiting).
The Threads API offers no way to revoke a token: the lead removes the app in the Threads
settings (Account > Website permissions), which the takedown says.
"""

from __future__ import annotations

from typing import Any

from .base import AccountInfo
from .containers import ContainerConnector
from .graph import bearer
from .http import segment

DEFAULT_BASE_URL = "https://graph.threads.net/v1.0"
FIELDS = "id,text,timestamp,permalink,media_type"


class ThreadsConnector(ContainerConnector):
    """A Threads profile reached with its Threads access token."""

    platform = "threads"
    default_base_url = DEFAULT_BASE_URL
    edge, text_field, image_type, fields = "threads", "text", "IMAGE", FIELDS

    status_fields = ("status", "error_message")

    def __init__(self, *, credentials: dict[str, str], **kwargs: Any) -> None:
        super().__init__(credentials=credentials, **kwargs)
        self._user = segment(credentials.get("user_id") or "me")

    def text_only(self, text: str) -> dict[str, str]:
        return {"media_type": "TEXT", "text": text}

    def delete(self, remote_id: str) -> str:
        return self._delete_object(remote_id, self._token)

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request(
            "GET", f"/{self._user}", params={"fields": "id,username"}, headers=bearer(self._token)
        )
        answer = self._http.answer(response, "the profile")
        user = answer.object()
        username = answer.text(user.get("username"), "a username")
        return AccountInfo(
            answer.identifier(user.get("id"), "an id"),
            username,
            f"https://www.threads.net/@{username}" if username else None,
        )

    def revoke_credentials(self) -> bool:
        """The Threads API has no revocation endpoint."""
        return False
