"""X (formerly Twitter), through API v2 with an OAuth 2.0 user-context token.

X has no idempotency key for ``POST /2/tweets``: ``publish`` ignores it, and
the worker's read-back before a retry (invariant 5) prevents a double post.
X refuses an identical repeat with 403 "duplicate content", which is
permanent here: retrying cannot change the answer.

Answers are checked against the documented shapes (``{"data": {"id", "text"}}``
for a new tweet, ``{"data": {"deleted": true}}``, ``{"revoked": true}``, a
timeline's ``data`` array); anything else is a :class:`MalformedResponseError`,
which to ``POST /2/tweets`` carries ``outcome_unknown``.

Images: ``POST /2/media/upload`` (multipart ``media`` and ``media_category=tweet_image``,
answered ``{"data": {"id", "media_key", "expires_after_secs"}}``), then the alt text with
``POST /2/media/metadata`` (``{"id", "metadata": {"alt_text": {"text"}}}``, at most 1,000
characters), then the tweet with ``{"media": {"media_ids": [...]}}``
(https://docs.x.com/x-api/media/upload-media, https://docs.x.com/x-api/media/create-media-metadata,
https://docs.x.com/x-api/posts/create-post). Uploaded ids live for ``expires_after_secs``
(a day), so a retry reuses those the memo holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import httpx

from .answers import Answer, PageCursors, json_kind
from .base import (
    AccountInfo,
    Clock,
    Connector,
    ConnectorError,
    PermanentError,
    RemotePost,
    page_size,
    utc_now,
)
from .http import ErrorStyle, HttpClient, error_field, segment
from .media import MediaFile, NoMemo, UploadMemo, before_the_post

DEFAULT_BASE_URL = "https://api.x.com"
MIN_PAGE, MAX_PAGE = 5, 100  # bounds of max_results on the user timeline


def _describe(body: Any) -> str | None:
    """Problem+json ``detail``/``title``, else the first of ``errors[].message``."""
    detail = error_field(body, "detail") or error_field(body, "title")
    if detail:
        return str(detail)
    errors = error_field(body, "errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0].get("message") or errors[0].get("detail")
    return None


STYLE = ErrorStyle(describe=_describe, reset_header="x-rate-limit-reset", reset_is_epoch=True)


class XConnector(Connector):
    """An X account reached with an OAuth 2.0 access token."""

    platform = "x"

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
        self._client_id = credentials.get("client_id")
        self._client_secret = credentials.get("client_secret")
        self._refresh_token = credentials.get("refresh_token")
        self._clock = clock
        self._user_id: str | None = None
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
        """Post a tweet, after its images; X does not return its time: ``created_at`` is ours."""
        memo = uploads or NoMemo()
        try:
            media_ids = [self._media_id(file, memo) for file in media]
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        body: dict[str, Any] = {"text": text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        response = self._http.request("POST", "/2/tweets", headers=self._auth(), json=body)
        answer = self._http.answer(response, "the publish", outcome_unknown=True)
        data = answer.expect_object(answer.object().get("data"), "a data object")
        tweet_id = answer.identifier(data.get("id"), "a data.id")
        posted = data.get("text")
        return RemotePost(
            tweet_id, posted if isinstance(posted, str) else text, self._clock(), _url(tweet_id)
        )

    def _media_id(self, file: MediaFile, memo: UploadMemo) -> str:
        """An uploaded, described image: remembered from an earlier attempt, or sent now."""
        known = memo.get(file.key)
        if known:
            return known
        response = self._http.request(
            "POST",
            "/2/media/upload",
            headers=self._auth(),
            files={"media": (file.filename, file.data, file.mime)},
            data={"media_category": "tweet_image"},
        )
        answer = self._http.answer(response, "the media upload")
        data = answer.expect_object(answer.object().get("data"), "a data object")
        media_id = answer.identifier(data.get("id"), "a media id")
        if file.alt:
            described = self._http.request(
                "POST",
                "/2/media/metadata",
                headers=self._auth(),
                json={"id": media_id, "metadata": {"alt_text": {"text": file.alt}}},
            )
            self._http.answer(described, "the media metadata").object()
        memo.put(file.key, media_id)
        return media_id

    def delete(self, remote_id: str) -> str:
        response = self._http.send(
            "DELETE", f"/2/tweets/{segment(remote_id)}", headers=self._auth()
        )
        if response.status_code == 404:
            return "not_found"
        answer = self._http.answer(self._http.check(response), "the delete")
        deleted = answer.expect_object(answer.object().get("data"), "a data object").get("deleted")
        if deleted is False:
            raise PermanentError("x: the platform did not confirm the deletion", status=200)
        if deleted is not True:
            raise answer.malformed("without a data.deleted true or false")
        return "deleted"

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        """Newest first from ``/2/users/:id/tweets`` (X serves at most the last 3200)."""
        user_id = self._user_id or self.verify_credentials().remote_id
        posts: list[RemotePost] = []
        token: str | None = None
        cursors = PageCursors()
        while limit is None or len(posts) < limit:
            answer = self._timeline_page(user_id, token, page_size(MAX_PAGE, limit, len(posts)))
            data = answer.object()
            tweets = data.get("data", [])  # absent when the timeline is empty
            if not isinstance(tweets, list):
                raise answer.malformed(
                    f"with data that is a JSON {json_kind(tweets)}, not an array"
                )
            page = [_remote_post(answer, tweet) for tweet in tweets]
            posts.extend(p for p in page if since is None or p.created_at >= since)
            meta = answer.expect_object(data.get("meta", {}), "a meta object")
            token = cursors.next(answer, answer.text(meta.get("next_token"), "a meta.next_token"))
            if not page or not token or (since and page[-1].created_at < since):
                break
        return posts if limit is None else posts[:limit]

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request("GET", "/2/users/me", headers=self._auth())
        answer = self._http.answer(response, "users/me")
        user = answer.expect_object(answer.object().get("data"), "a data object")
        self._user_id = answer.identifier(user.get("id"), "a data.id")
        username = answer.text(user.get("username"), "a data.username")
        return AccountInfo(self._user_id, username, f"https://x.com/{username}")

    def revoke_credentials(self) -> bool:
        """Revoke the access token, then the refresh token when Postgate holds one (RFC 7009:
        revoking one need not revoke the other, and a live refresh token mints new access
        tokens for whoever holds it); confidential clients authenticate with Basic auth."""
        self._revoke(self._token, "access_token")
        if self._refresh_token:
            self._revoke(self._refresh_token, "refresh_token")
        return True

    def _revoke(self, token: str, hint: str) -> None:
        form = {"token": token, "token_type_hint": hint}
        auth = None
        if self._client_id and self._client_secret:
            auth = httpx.BasicAuth(self._client_id, self._client_secret)
        elif self._client_id:
            form["client_id"] = self._client_id
        response = self._http.request("POST", "/2/oauth2/revoke", data=form, auth=auth)
        answer = self._http.answer(response, "the revocation")
        revoked = answer.object().get("revoked")
        if revoked is False:
            raise PermanentError("x: the platform did not confirm the revocation", status=200)
        if revoked is not True:
            raise answer.malformed("without revoked true or false")

    def close(self) -> None:
        self._http.close()

    def _timeline_page(self, user_id: str, token: str | None, wanted: int) -> Answer:
        params: dict[str, Any] = {
            "max_results": max(MIN_PAGE, min(MAX_PAGE, wanted)),
            "tweet.fields": "created_at,entities",
        }
        if token:
            params["pagination_token"] = token
        path = f"/2/users/{segment(user_id)}/tweets"
        response = self._http.request("GET", path, headers=self._auth(), params=params)
        return self._http.answer(response, "the timeline")

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


def _remote_post(answer: Answer, item: Any) -> RemotePost:
    """A listed tweet; one without an id, text or ``created_at`` refuses the whole page."""
    tweet = answer.expect_object(item, "a tweet object")
    tweet_id = answer.identifier(tweet.get("id"), "a tweet id")
    text = answer.text(tweet.get("text"), "a tweet text")
    created_at = answer.time(tweet.get("created_at"), "a tweet created_at")
    found = _entities(tweet)
    return RemotePost(
        tweet_id,
        text,
        created_at,
        _url(tweet_id),
        mentions=found.get("mentions", ()),
        tags=found.get("tags", ()),
        links=found.get("links", ()),
    )


def _entities(tweet: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """What the tweet's ``entities`` say: the links behind its ``t.co`` wrappers
    (``expanded_url``), the users and the hashtags; entries of another shape are left out."""
    found = tweet.get("entities")
    found = found if isinstance(found, dict) else {}

    def values(kind: str, field: str) -> tuple[str, ...]:
        items = found.get(kind)
        items = items if isinstance(items, list) else []
        picked = (item.get(field) for item in items if isinstance(item, dict))
        return tuple(value for value in picked if isinstance(value, str) and value)

    return {
        "mentions": values("mentions", "username"),
        "tags": values("hashtags", "tag"),
        "links": values("urls", "expanded_url"),
    }


def _url(tweet_id: str) -> str:
    """X resolves this form to the tweet whatever the account's current handle."""
    return f"https://x.com/i/web/status/{tweet_id}"
