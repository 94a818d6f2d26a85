"""Two-step publishing through media containers, as Instagram and Threads share it.

Each image becomes a container (``POST /{user}/{edge}`` with ``image_url`` and ``alt_text``;
``is_carousel_item=true`` when there are several, remembered for a retry), then the post's
own container (one image with the text, or ``media_type=CAROUSEL`` with ``children``), and
only ``POST /{user}/{edge}_publish`` with ``creation_id`` makes it public: a failure before
that is never an unknown outcome. The platform fetches and processes the images
asynchronously, so the post's container is read (``GET /{container}?fields=status...``) until
it says ``FINISHED`` before it is published; ``ERROR`` is permanent, with the platform's
words. Both platforms fetch the images from Postgate's signed download links, and list the
account's posts at ``GET /{user}/{edge}``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .answers import Answer
from .base import ConnectorError, PermanentError, RemotePost, RetryableError
from .graph import GraphConnector, bearer, list_posts, public_image_url
from .http import segment
from .media import MediaFile, NoMemo, Sleeper, UploadMemo, before_the_post

POLL_INTERVAL = 1.0
READY_WAIT = 30.0  # Threads suggests about 30 seconds; longer is worth a later retry


class ContainerConnector(GraphConnector):
    """A Graph connector that publishes through containers (see the module docstring)."""

    edge: str  # "media" (Instagram), "threads" (Threads)
    text_field: str  # what the post's text is called: "caption", "text"
    image_type: str | None = None  # the media_type of an image container, where required
    fields: str  # what the listing asks for
    # The container's state and its details: Instagram ("status_code", "status"), Threads
    # ("status", "error_message").
    status_fields: tuple[str, str]

    _user: str  # the account's id as one path segment, set by the subclass

    def __init__(self, *, sleep: Sleeper = time.sleep, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sleep = sleep

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
            self._wait_ready(container)
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        path = f"/{self._user}/{self.edge}_publish"
        media_id = self._publish(path, {"creation_id": container}, self._token)
        return RemotePost(media_id, text, self._clock(), self._permalink(media_id))

    def text_only(self, text: str) -> dict[str, str]:
        """The container form of a post without an image."""
        raise NotImplementedError

    def _container(self, text: str, media: Sequence[MediaFile], memo: UploadMemo) -> str:
        if not media:
            form = self.text_only(text)
        elif len(media) == 1:
            form = {**self._image(media[0]), self.text_field: text}
        else:
            children = ",".join(self._item(file, memo) for file in media)
            form = {"media_type": "CAROUSEL", "children": children, self.text_field: text}
        return self._create(f"/{self._user}/{self.edge}", form, self._token, "the container")

    def _wait_ready(self, container: str) -> None:
        """Until the container is ``FINISHED``; the platform's error message when not."""
        state_field, detail_field = self.status_fields
        waited = 0.0
        while True:
            response = self._http.request(
                "GET",
                f"/{segment(container)}",
                params={"fields": f"{state_field},{detail_field}"},
                headers=bearer(self._token),
            )
            answer = self._http.answer(response, "the container status")
            found = answer.object()
            state = answer.text(found.get(state_field), f"a {state_field}")
            if state == "FINISHED":
                return
            detail = answer.text(found.get(detail_field), f"a {detail_field}")
            if state == "ERROR":
                raise PermanentError(self._redact(f"{self.platform}: {detail or 'media error'}"))
            if state != "IN_PROGRESS" or waited >= READY_WAIT:
                raise RetryableError(f"{self.platform}: the post's media is {state or 'not ready'}")
            self._sleep(POLL_INTERVAL)
            waited += POLL_INTERVAL

    def _item(self, file: MediaFile, memo: UploadMemo) -> str:
        known = memo.get(file.key)
        if known:
            return known
        form = {**self._image(file), "is_carousel_item": "true"}
        item = self._create(f"/{self._user}/{self.edge}", form, self._token, "the item container")
        memo.put(file.key, item)
        return item

    def _image(self, file: MediaFile) -> dict[str, str]:
        form = {"media_type": self.image_type} if self.image_type else {}
        form["image_url"] = public_image_url(self.platform, file)
        if file.alt:
            form["alt_text"] = file.alt
        return form

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        return list_posts(
            self._http,
            f"/{self._user}/{self.edge}",
            {"fields": self.fields},
            bearer(self._token),
            self._remote_post,
            since=since,
            limit=limit,
        )

    def _remote_post(self, answer: Answer, item: Any) -> RemotePost:
        found = answer.expect_object(item, "a media object")
        return RemotePost(
            answer.identifier(found.get("id"), "a media id"),
            answer.text(found.get(self.text_field), f"a {self.text_field}"),
            answer.time(found.get("timestamp"), "a timestamp"),
            answer.text(found.get("permalink"), "a permalink") or None,
            raw=found,
        )
