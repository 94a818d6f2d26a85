"""Facebook Pages, through the Graph API with a Page access token.

The account's credentials hold a user access token (Facebook Login, ``pages_manage_posts``,
``pages_read_engagement``, ``pages_show_list``) and the Page's id. Posts are made with the
Page's own token, derived from the user token by ``GET /{page-id}?fields=access_token``
(https://developers.facebook.com/docs/pages-api/getting-started#page-access-tokens), unless
the credentials already hold one (``page_access_token``).

- Text: ``POST /{page-id}/feed`` with ``message``, answered ``{"id": "<page>_<post>"}``
  (https://developers.facebook.com/docs/pages-api/posts#publish-posts).
- Images: each one ``POST /{page-id}/photos`` (multipart ``source``, ``published=false``,
  its alt text as ``alt_text_custom``), answered ``{"id"}``; then the post on the feed with
  ``attached_media[i]={"media_fbid": id}``
  (https://developers.facebook.com/docs/graph-api/reference/page/photos/#multi-photo-post).
  Unpublished photos show nowhere until the post names them, so a failure while uploading
  leaves no half post, and a retry reuses the uploaded ones.
- Listing: ``GET /{page-id}/published_posts`` (the Page's own posts, not visitors'), paged
  by ``paging.cursors.after``. Scheduled and unpublished (ads-only) posts are not listed.
- Delete: ``DELETE /{post-id}``, answered ``{"success": true}``; an object that does not
  exist answers code 100 subcode 33.

The Graph API has no idempotency key: the worker's read-back prevents a double post.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .answers import Answer
from .base import AccountInfo, ConnectorError, RemotePost
from .graph import GraphConnector, bearer, list_posts
from .http import segment
from .media import MediaFile, NoMemo, UploadMemo, before_the_post

DEFAULT_BASE_URL = "https://graph.facebook.com/v25.0"
FIELDS = "id,message,created_time,permalink_url"


class FacebookConnector(GraphConnector):
    """A Facebook Page reached with a user token and the Page token derived from it."""

    platform = "facebook"
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, *, credentials: dict[str, str], **kwargs: Any) -> None:
        super().__init__(credentials=credentials, **kwargs)
        self._page_id = credentials["page_id"]
        self._page_token = credentials.get("page_access_token") or None

    def publish(
        self,
        text: str,
        *,
        idempotency_key: str,
        key_time: datetime | None = None,
        media: Sequence[MediaFile] = (),
        uploads: UploadMemo | None = None,
    ) -> RemotePost:
        token = self._page()
        memo = uploads or NoMemo()
        try:
            photos = [self._photo(file, memo, token) for file in media]
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        form = {"message": text}
        for index, photo in enumerate(photos):
            form[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo})
        post_id = self._publish(f"/{segment(self._page_id)}/feed", form, token)
        return RemotePost(post_id, text, self._clock(), _url(post_id))

    def _photo(self, file: MediaFile, memo: UploadMemo, token: str) -> str:
        known = memo.get(file.key)
        if known:
            return known
        form = {"published": "false"}
        if file.alt:
            form["alt_text_custom"] = file.alt
        response = self._http.request(
            "POST",
            f"/{segment(self._page_id)}/photos",
            headers=bearer(token),
            data=form,
            files={"source": (file.filename, file.data, file.mime)},
        )
        answer = self._http.answer(response, "the photo upload")
        photo_id = answer.identifier(answer.object().get("id"), "a photo id")
        memo.put(file.key, photo_id)
        return photo_id

    def delete(self, remote_id: str) -> str:
        return self._delete_object(remote_id, self._page())

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        path = f"/{segment(self._page_id)}/published_posts"
        params = {"fields": FIELDS}
        return list_posts(
            self._http, path, params, bearer(self._page()), _post, since=since, limit=limit
        )

    def verify_credentials(self) -> AccountInfo:
        """The Page as the user token sees it, with the Page token derived on the way."""
        page = self._page_fields("id,name,link,access_token")
        self._page_token = page["access_token"]
        return AccountInfo(page["id"], page["name"], page["link"] or None)

    def _page(self) -> str:
        if self._page_token is None:
            self._page_token = self._page_fields("access_token")["access_token"]
        self.keep_secret(self._page_token)
        return self._page_token

    def _page_fields(self, fields: str) -> dict[str, str]:
        response = self._http.request(
            "GET",
            f"/{segment(self._page_id)}",
            params={"fields": fields},
            headers=bearer(self._token),
        )
        answer = self._http.answer(response, "the page")
        page = answer.object()
        token = answer.text(page.get("access_token"), "an access_token")
        if "access_token" in fields and not token:
            raise answer.malformed("without an access_token (is the user an admin of the Page?)")
        self.keep_secret(token)
        return {
            "access_token": token,
            "id": answer.identifier(page.get("id"), "an id"),
            "name": answer.text(page.get("name"), "a name"),
            "link": answer.text(page.get("link"), "a link"),
        }


def _post(answer: Answer, item: Any) -> RemotePost:
    post = answer.expect_object(item, "a post object")
    post_id = answer.identifier(post.get("id"), "a post id")
    return RemotePost(
        post_id,
        answer.text(post.get("message"), "a message"),
        answer.time(post.get("created_time"), "a created_time"),
        answer.text(post.get("permalink_url"), "a permalink_url") or _url(post_id),
        raw=post,
    )


def _url(post_id: str) -> str:
    """Facebook resolves ``/<page>_<post>`` to the post."""
    return f"https://www.facebook.com/{post_id}"
