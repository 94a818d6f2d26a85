"""LinkedIn organisation pages, through the versioned Posts and Images APIs.

Every ``/rest`` call carries ``LinkedIn-Version`` (the monthly version this connector was
written against) and ``X-Restli-Protocol-Version: 2.0.0``
(https://learn.microsoft.com/en-us/linkedin/marketing/versioning). The credentials hold a
member's access token of the app (``w_organization_social`` to post and delete,
``r_organization_social`` to list, ``rw_organization_admin`` to look the page up), the
organisation's id, and optionally the app's ``client_id``/``client_secret``, which revoking
the token needs.

- Publish: ``POST /rest/posts`` with ``author`` the organisation's URN, ``commentary``,
  ``visibility=PUBLIC``, ``distribution``, ``lifecycleState=PUBLISHED``; answered 201 with the
  post's URN in ``x-restli-id`` and no body
  (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api).
  ``commentary`` is LinkedIn's "little text": its reserved characters are escaped with a
  backslash, or LinkedIn cuts the text at the first one
  (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format).
- Images: ``POST /rest/images?action=initializeUpload`` gives an upload URL and the image's
  URN, the bytes go there with ``PUT``
  (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api);
  the post names one (``content.media``) or several (``content.multiImage``, 2 to 20).
- List: ``GET /rest/posts?author=<urn>&q=author`` (``X-RestLi-Method: FINDER``), paged by
  ``start``/``count``, sorted by last modification.
- Delete: ``DELETE /rest/posts/<urn>`` (``X-RestLi-Method: DELETE``), answered 204.
- Revoke: ``POST https://www.linkedin.com/oauth/v2/revoke`` with the app's pair
  (https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection).

Errors are ``{"status", "serviceErrorCode", "code", "message"}``; 401 means the token is
expired or revoked, 429 a member or application daily limit (reset at midnight UTC).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from .answers import Answer, PageCursors, json_kind
from .base import (
    AccountInfo,
    Clock,
    Connector,
    ConnectorError,
    RemotePost,
    page_size,
    utc_now,
)
from .http import ErrorStyle, HttpClient, error_field
from .media import MediaFile, NoMemo, UploadMemo, before_the_post

DEFAULT_BASE_URL = "https://api.linkedin.com"
REVOKE_URL = "https://www.linkedin.com/oauth/v2/revoke"
VERSION = "202606"  # LinkedIn-Version: YYYYMM; each version is served for a year
MAX_PAGE = 100
RESERVED = re.compile(r"([|{}@\[\]()<>#\\*_~])")
ESCAPED = re.compile(r"\\([|{}@\[\]()<>#\\*_~])")
HASHTAG = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
MENTION = re.compile(r"@\[([^\]]*)\]\([^)]*\)")


def _describe(body: Any) -> str | None:
    message = error_field(body, "message")
    code = error_field(body, "code")
    if not message:
        return None
    return f"{message} ({code})" if code else str(message)


STYLE = ErrorStyle(describe=_describe)


def escape(text: str) -> str:
    """Text as LinkedIn's little text format shows it verbatim."""
    return RESERVED.sub(r"\\\1", text)


def unescape(commentary: str) -> str:
    """Little text back to plain text: hashtags and mentions as people read them."""
    text = HASHTAG.sub(lambda m: "#" + m.group(1), commentary)
    text = MENTION.sub(lambda m: "@" + m.group(1), text)
    return ESCAPED.sub(r"\1", text)


class LinkedInConnector(Connector):
    """A LinkedIn organisation page reached with an administrator's access token."""

    platform = "linkedin"

    def __init__(
        self,
        *,
        base_url: str | None,
        credentials: dict[str, str],
        secrets: Iterable[str],
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(secrets=secrets)
        self._token = credentials["access_token"]
        organization = credentials["organization_id"].rsplit(":", 1)[-1]
        self._org_id = organization
        self._org = f"urn:li:organization:{organization}"
        self._client_id = credentials.get("client_id")
        self._client_secret = credentials.get("client_secret")
        self._clock = clock
        self._http = HttpClient(
            platform=self.platform,
            base_url=base_url or DEFAULT_BASE_URL,
            style=STYLE,
            timeout=timeout,
            transport=transport,
            clock=clock,
            redact=self._redact,
        )

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
            images = [{"id": self._image(file, memo), "altText": file.alt} for file in media]
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        body: dict[str, Any] = {
            "author": self._org,
            "commentary": escape(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        response = self._http.request("POST", "/rest/posts", headers=self._rest(), json=body)
        answer = self._http.answer(response, "the publish", outcome_unknown=True)
        urn = response.headers.get("x-restli-id", "").strip()
        if not urn.startswith("urn:li:"):
            raise answer.malformed("without the post's URN in x-restli-id")
        return RemotePost(urn, text, self._clock(), _url(urn))

    def _image(self, file: MediaFile, memo: UploadMemo) -> str:
        known = memo.get(file.key)
        if known:
            return known
        response = self._http.request(
            "POST",
            "/rest/images",
            params={"action": "initializeUpload"},
            headers=self._rest(),
            json={"initializeUploadRequest": {"owner": self._org}},
        )
        answer = self._http.answer(response, "the image upload")
        value = answer.expect_object(answer.object().get("value"), "a value object")
        upload_url = answer.text(value.get("uploadUrl"), "an uploadUrl")
        image = answer.identifier(value.get("image"), "an image URN")
        if not upload_url.startswith("https://"):
            raise answer.malformed("with an uploadUrl that is not https")
        self._http.request(
            "PUT",
            upload_url,
            headers={**self._auth(), "Content-Type": "application/octet-stream"},
            content=file.data,
        )
        memo.put(file.key, image)
        return image

    def delete(self, remote_id: str) -> str:
        headers = {**self._rest(), "X-RestLi-Method": "DELETE"}
        response = self._http.send("DELETE", f"/rest/posts/{_urn(remote_id)}", headers=headers)
        if response.status_code in (404, 410):
            return "not_found"
        self._http.check(response)
        return "deleted"

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        """Newest changes first; a post is kept when it was created since ``since``, and the
        pages end once a whole page was last modified before it."""
        posts: list[RemotePost] = []
        start, cursors = 0, PageCursors()
        while limit is None or len(posts) < limit:
            count = page_size(MAX_PAGE, limit, len(posts))
            answer, elements = self._page(start, count)
            page = [_post(answer, element) for element in elements]
            posts.extend(p for p, _ in page if since is None or p.created_at >= since)
            start += len(elements)
            if len(elements) < count or (since and max(m for _, m in page) < since):
                break
            cursors.next(answer, str(start))
        return posts if limit is None else posts[:limit]

    def _page(self, start: int, count: int) -> tuple[Answer, list[Any]]:
        params = {
            "author": self._org,
            "q": "author",
            "count": count,
            "start": start,
            "sortBy": "LAST_MODIFIED",
        }
        headers = {**self._rest(), "X-RestLi-Method": "FINDER"}
        response = self._http.request("GET", "/rest/posts", params=params, headers=headers)
        answer = self._http.answer(response, "the list")
        elements = answer.object().get("elements")
        if not isinstance(elements, list):
            raise answer.malformed(f"with elements that are a JSON {json_kind(elements)}")
        return answer, elements

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request(
            "GET", f"/rest/organizations/{quote(self._org_id, safe='')}", headers=self._rest()
        )
        answer = self._http.answer(response, "the organization")
        found = answer.object()
        answer.identifier(found.get("id"), "an id")
        vanity = answer.text(found.get("vanityName"), "a vanityName")
        return AccountInfo(
            self._org,
            answer.text(found.get("localizedName"), "a localizedName") or vanity,
            f"https://www.linkedin.com/company/{vanity}/" if vanity else None,
        )

    def revoke_credentials(self) -> bool:
        """Revoking needs the app's client id and secret; without them LinkedIn offers no way."""
        if not (self._client_id and self._client_secret):
            return False
        form = {
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "token": self._token,
        }
        self._http.request("POST", REVOKE_URL, data=form)
        return True

    def close(self) -> None:
        self._http.close()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def _rest(self) -> dict[str, str]:
        return {
            **self._auth(),
            "LinkedIn-Version": VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }


def _post(answer: Answer, item: Any) -> tuple[RemotePost, datetime]:
    """A listed post and when it was last modified (what the listing is sorted by)."""
    post = answer.expect_object(item, "a post object")
    urn = answer.identifier(post.get("id"), "a post id")
    created = _millis(answer, post.get("createdAt"), "a createdAt")
    modified = post.get("lastModifiedAt")
    remote = RemotePost(
        urn,
        unescape(answer.text(post.get("commentary"), "a commentary")),
        created,
        _url(urn),
        visibility=answer.text(post.get("visibility"), "a visibility") or None,
        raw=post,
    )
    return remote, _millis(answer, modified, "a lastModifiedAt") if modified else created


def _millis(answer: Answer, value: Any, what: str) -> datetime:
    """LinkedIn's times: milliseconds since the epoch."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise answer.malformed(f"with {what} that is not a number of milliseconds")
    return datetime.fromtimestamp(value / 1000, UTC)


def _urn(remote_id: str) -> str:
    """A post URN as one path segment (``urn%3Ali%3Ashare%3A123``)."""
    return quote(remote_id, safe="")


def _url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"
