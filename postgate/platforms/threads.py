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

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .answers import Answer
from .base import AccountInfo, ConnectorError, RemotePost
from .graph import GraphConnector, bearer, list_posts, public_image_url
from .http import segment
from .media import MediaFile, NoMemo, UploadMemo, before_the_post

DEFAULT_BASE_URL = "https://graph.threads.net/v1.0"
FIELDS = "id,text,timestamp,permalink,media_type"


class ThreadsConnector(GraphConnector):
    """A Threads profile reached with its Threads access token."""

    platform = "threads"
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, *, credentials: dict[str, str], **kwargs: Any) -> None:
        super().__init__(credentials=credentials, **kwargs)
        self._user = segment(credentials.get("user_id") or "me")

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        key_time: datetime | None = None,
        media: Sequence[MediaFile] = (),
        uploads: UploadMemo | None = None,
    ) -> RemotePost:
        memo = uploads or NoMemo()
        try:
            container = self._container(text, media, memo)
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        path = f"/{self._user}/threads_publish"
        media_id = self._publish(path, {"creation_id": container}, self._token)
        return RemotePost(media_id, text, self._clock(), self._permalink(media_id))

    def _container(self, text: str, media: Sequence[MediaFile], memo: UploadMemo) -> str:
        path = f"/{self._user}/threads"
        if not media:
            form = {"media_type": "TEXT", "text": text}
        elif len(media) == 1:
            form = {**_image(self.platform, media[0]), "text": text}
        else:
            children = ",".join(self._item(file, memo) for file in media)
            form = {"media_type": "CAROUSEL", "children": children, "text": text}
        return self._create(path, form, self._token, "the container")

    def _item(self, file: MediaFile, memo: UploadMemo) -> str:
        known = memo.get(file.key)
        if known:
            return known
        form = {**_image(self.platform, file), "is_carousel_item": "true"}
        item = self._create(f"/{self._user}/threads", form, self._token, "the item container")
        memo.put(file.key, item)
        return item

    def delete(self, remote_id: str) -> str:
        return self._delete_object(remote_id, self._token)

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        return list_posts(
            self._http,
            f"/{self._user}/threads",
            {"fields": FIELDS},
            bearer(self._token),
            _post,
            since=since,
            limit=limit,
        )

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


def _image(platform: str, file: MediaFile) -> dict[str, str]:
    form = {"media_type": "IMAGE", "image_url": public_image_url(platform, file)}
    if file.alt:
        form["alt_text"] = file.alt
    return form


def _post(answer: Answer, item: Any) -> RemotePost:
    thread = answer.expect_object(item, "a thread object")
    return RemotePost(
        answer.identifier(thread.get("id"), "a thread id"),
        answer.text(thread.get("text"), "a text"),
        answer.time(thread.get("timestamp"), "a timestamp"),
        answer.text(thread.get("permalink"), "a permalink") or None,
        raw=thread,
    )
