"""Mastodon (and the ``sandbox`` platform, which speaks the same API subset).

Endpoints: ``POST /api/v2/media`` for each image (multipart ``file`` and ``description``;
200 when processed, 202 while it is processed, then ``GET /api/v1/media/:id`` answers 206
until it is ready and 200 once it is, 422 if processing failed: app/controllers/api/v2/
media_controller.rb and api/v1/media_controller.rb of mastodon/mastodon,
https://docs.joinmastodon.org/methods/media/#v2), then ``POST /api/v1/statuses`` with the
ready ``media_ids`` and an ``Idempotency-Key`` header, so a
retried publish with the same key returns the first status instead of posting
twice (Mastodon remembers keys for about an hour: invariant 5 still relies on
the worker's read-back for older claims); ``DELETE /api/v1/statuses/:id``;
``GET /api/v1/accounts/verify_credentials``; ``GET /api/v1/accounts/:id/statuses``
paged with ``max_id`` from the ``Link`` header; ``POST /oauth/revoke``. For the watch:
the profile from ``verify_credentials`` (``source.note`` and ``source.fields`` as typed), and
the user stream ``GET /api/v1/streaming/user`` (server-sent events: ``update``,
``status.update``, ``delete``, ``:thump`` heartbeats every 15 s; streaming/index.js of
mastodon/mastodon, https://docs.joinmastodon.org/methods/streaming/), reached at the server's
own address, where Mastodon's proxy serves ``/api/v1/streaming``.

Answers are checked against the documented shapes (a Status, an array of
them, an Account, ``{}`` for revoke) and anything else is a
:class:`MalformedResponseError`; to the publish it carries ``outcome_unknown``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx

from .answers import Answer, PageCursors
from .base import (
    AccountInfo,
    Clock,
    Connector,
    ConnectorError,
    PermanentError,
    Profile,
    RemotePost,
    RetryableError,
    SessionStore,
    StreamEvent,
    page_size,
    utc_now,
)
from .html_text import html_links, html_to_text
from .http import ErrorStyle, HttpClient, error_field, segment
from .media import MediaFile, NoMemo, Sleeper, UploadMemo, before_the_post
from .timeutil import parse_time

PAGE_SIZE = 40  # Mastodon's maximum for account statuses
STREAM_READ_TIMEOUT = 45.0  # three missed heartbeats (one every 15 s) mean the stream is dead
STREAM_EVENTS = {"update": "post", "status.update": "edit"}
PROCESSING_WAIT = 60.0  # seconds an upload may stay processing before the attempt is retried
POLL_INTERVAL = 0.5

INSTANCE_LIMITS = (  # ours, then the name in configuration.statuses
    ("max_length", "max_characters"),
    ("max_media", "max_media_attachments"),
    ("url_length", "characters_reserved_per_url"),
)

# Doorkeeper's words for a bad token (Mastodon answers them with 401; other Mastodon-API
# servers use 400 or 403): ``{"error": "invalid_token", "error_description": ...}`` or
# ``{"error": "The access token is invalid"}`` / "... was revoked" / "... expired".
_BAD_TOKEN = re.compile(
    r"\binvalid_token\b|access token (is invalid|was revoked|expired|is not valid)", re.IGNORECASE
)
# Mastodon's answer to a token without the scopes a call needs: 403 ``{"error": "This action
# is outside the authorized scopes"}`` (``Api::BaseController#doorkeeper_forbidden_render_
# options``; Doorkeeper's ``ForbiddenTokenResponse`` drops WWW-Authenticate, so only these
# words tell it). Such a token cannot do Postgate's work (publish needs write, reading the
# account back and the watch need read) until the account is connected again with both.
_OUTSIDE_SCOPES = re.compile(r"outside the authorized scopes", re.IGNORECASE)


def _describe(body: Any) -> str | None:
    """``error``, with OAuth's ``error_description`` when it adds something."""
    error, description = error_field(body, "error"), error_field(body, "error_description")
    parts = [str(p) for p in (error, description) if isinstance(p, str | int) and str(p)]
    return ": ".join(dict.fromkeys(parts)) or None


def _is_credentials_error(status: int, body: Any) -> bool:
    """401, an invalid-token answer under another 4xx status, or a token without the scopes
    the call needs."""
    if status == 401:
        return True
    words = " ".join(str(error_field(body, key) or "") for key in ("error", "error_description"))
    if status == 403 and _OUTSIDE_SCOPES.search(words):
        return True
    return 400 <= status < 500 and bool(_BAD_TOKEN.search(words))


STYLE = ErrorStyle(
    describe=_describe,
    reset_header="x-ratelimit-reset",
    reset_is_epoch=False,
    is_credentials_error=_is_credentials_error,
)


class MastodonConnector(Connector):
    """A Mastodon account reached with an OAuth bearer token."""

    def __init__(
        self,
        *,
        base_url: str | None,
        credentials: dict[str, str],
        secrets: Iterable[str],
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock = utc_now,
        platform: str = "mastodon",
        sleep: Sleeper = time.sleep,
    ) -> None:
        super().__init__(secrets=secrets)
        self.platform = platform
        self._sleep = sleep
        self._token = credentials["token"]
        self._client_id = credentials.get("client_id")
        self._client_secret = credentials.get("client_secret")
        self._account_id: str | None = None
        self._sessions: SessionStore | None = None
        self._clock = clock
        self._timeout = timeout
        self._http = HttpClient(
            platform=platform,
            base_url=base_url or "",
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
        """Upload the images and wait until each is processed, then post the status naming
        them; its id is all the answer must hold, the rest falls back to ours."""
        memo = uploads or NoMemo()
        try:
            media_ids = [self._ready_media(image, memo) for image in media]
        except ConnectorError as exc:
            raise before_the_post(exc) from None
        body: dict[str, Any] = {"status": text}
        if media_ids:
            body["media_ids"] = media_ids
        headers = {**self._auth(), "Idempotency-Key": idempotency_key}
        response = self._http.request("POST", "/api/v1/statuses", headers=headers, json=body)
        answer = self._http.answer(response, "the publish", outcome_unknown=True)
        status = answer.object()
        remote_id = answer.identifier(status.get("id"), "a status id")
        content, url = status.get("content"), status.get("url") or status.get("uri")
        return RemotePost(
            remote_id=remote_id,
            text=html_to_text(content) if isinstance(content, str) and content else text,
            created_at=_time_or(status.get("created_at"), self._clock),
            url=url if isinstance(url, str) else None,
        )

    def _ready_media(self, image: MediaFile, memo: UploadMemo) -> str:
        """The id of a processed upload of ``image``: one remembered from an earlier attempt
        when the platform still holds it unattached, else a new upload."""
        known = memo.get(image.key)
        if known and self._media_state(known) == "ready":
            return known
        response = self._http.request(
            "POST",
            "/api/v2/media",
            headers=self._auth(),
            files={"file": (image.filename, image.data, image.mime)},
            data={"description": image.alt},
        )
        answer = self._http.answer(response, "the media upload")
        media_id = answer.identifier(answer.object().get("id"), "a media id")
        memo.put(image.key, media_id)
        if response.status_code == 202:  # accepted, still processing
            self._wait_processed(media_id)
        return media_id

    def _media_state(self, media_id: str) -> str:
        """``ready``, ``processing`` or ``gone`` (attached elsewhere, deleted, expired)."""
        response = self._http.send(
            "GET", f"/api/v1/media/{segment(media_id)}", headers=self._auth()
        )
        if response.status_code == 404:
            return "gone"
        if response.status_code == 422:
            raise PermanentError(f"{self.platform}: the image could not be processed", status=422)
        self._http.answer(self._http.check(response), "the media status").object()
        return "processing" if response.status_code == 206 else "ready"

    def _wait_processed(self, media_id: str) -> None:
        waited = 0.0
        while True:
            state = self._media_state(media_id)
            if state == "ready":
                return
            if state == "gone":
                raise RetryableError(f"{self.platform}: an uploaded image vanished")
            if waited >= PROCESSING_WAIT:
                raise RetryableError(f"{self.platform}: an image is still being processed")
            self._sleep(POLL_INTERVAL)
            waited += POLL_INTERVAL

    def delete(self, remote_id: str) -> str:
        """Delete a status; the answer is the deleted Status (``{}`` from some servers)."""
        response = self._http.send(
            "DELETE", f"/api/v1/statuses/{segment(remote_id)}", headers=self._auth()
        )
        if response.status_code == 404:
            return "not_found"
        answer = self._http.answer(self._http.check(response), "the delete")
        deleted = answer.object(empty_ok=True)
        if "id" in deleted and answer.identifier(deleted["id"], "a status id") != remote_id:
            raise answer.malformed("with another status's id")
        return "deleted"

    def post_exists(self, remote_id: str) -> bool:
        """``GET /api/v1/statuses/:id``: 404 once the status is deleted (Mastodon discards it
        at once, and ``Status``'s default scope leaves discarded ones out); the owner's token
        sees its own statuses of every visibility. A read, counted by the general limit
        (300 per 5 minutes per token), not by ``throttle_api_delete``."""
        response = self._http.send(
            "GET", f"/api/v1/statuses/{segment(remote_id)}", headers=self._auth()
        )
        if response.status_code == 404:
            return False
        answer = self._http.answer(self._http.check(response), "the status")
        status = answer.object()
        if answer.identifier(status.get("id"), "a status id") != remote_id:
            raise answer.malformed("with another status's id")
        return True

    def edit(self, remote_id: str, text: str) -> str:
        """Replace a status's text and remove its media (``PUT /api/v1/statuses/:id``,
        Mastodon 3.5+, with an empty ``media_ids``: without it the media stay;
        https://docs.joinmastodon.org/methods/statuses/#edit)."""
        response = self._http.send(
            "PUT",
            f"/api/v1/statuses/{segment(remote_id)}",
            headers=self._auth(),
            json={"status": text, "media_ids": []},
        )
        if response.status_code == 404:
            return "not_found"
        answer = self._http.answer(self._http.check(response), "the edit")
        edited = answer.object()
        if answer.identifier(edited.get("id"), "a status id") != remote_id:
            raise answer.malformed("with another status's id")
        return "neutralised"

    def keep_sessions_in(self, store: SessionStore) -> None:
        """Remember the account's id (``verify_credentials``) between jobs: a read-back then
        lists at once, one request fewer from the account's budget. The store is keyed by
        the credentials, so new credentials never reuse another account's id."""
        self._sessions = store
        known = store.load() or {}
        self._account_id = self._account_id or known.get("account_id") or None

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        account_id = self._account_id or self.verify_credentials().remote_id
        posts: list[RemotePost] = []
        max_id: str | None = None
        cursors = PageCursors()
        while limit is None or len(posts) < limit:
            params: dict[str, Any] = {"limit": page_size(PAGE_SIZE, limit, len(posts))}
            if max_id:
                params["max_id"] = max_id
            response = self._http.request(
                "GET",
                f"/api/v1/accounts/{segment(account_id)}/statuses",
                headers=self._auth(),
                params=params,
            )
            answer = self._http.answer(response, "the listing")
            page = [_remote_post(answer, status) for status in answer.array()]
            posts.extend(p for p in page if since is None or p.created_at >= since)
            max_id = cursors.next(answer, _next_max_id(answer))
            if not page or not max_id or (since and page[-1].created_at < since):
                break
        return posts if limit is None else posts[:limit]

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request(
            "GET", "/api/v1/accounts/verify_credentials", headers=self._auth()
        )
        answer = self._http.answer(response, "verify_credentials")
        account = answer.object()
        self._account_id = answer.identifier(account.get("id"), "an account id")
        if self._sessions is not None:
            self._sessions.save({"account_id": self._account_id})
        count = account.get("statuses_count")
        return AccountInfo(
            remote_id=self._account_id,
            handle=answer.text(account.get("acct"), "an acct"),
            url=answer.text(account.get("url"), "a url") or None,
            posts_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        )

    def profile(self) -> Profile:
        """Display name, bio, avatar, header and fields, from ``verify_credentials``."""
        response = self._http.request(
            "GET", "/api/v1/accounts/verify_credentials", headers=self._auth()
        )
        answer = self._http.answer(response, "verify_credentials")
        account = answer.object()
        raw_source = account.get("source")
        source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
        note = source.get("note") if isinstance(source.get("note"), str) else None
        fields = source.get("fields") if isinstance(source.get("fields"), list) else None
        return Profile(
            display_name=answer.text(account.get("display_name"), "a display_name"),
            note=note if note is not None else html_to_text(str(account.get("note") or "")),
            avatar=answer.text(account.get("avatar"), "an avatar"),
            header=answer.text(account.get("header"), "a header"),
            fields=tuple(
                (str(f.get("name", "")), str(f.get("value", "")))
                for f in _objects(fields if fields is not None else account.get("fields"))
            ),
        )

    @contextmanager
    def open_stream(self) -> Iterator[Iterator[StreamEvent]]:
        """The user stream, filtered to this account's own statuses (a home timeline also
        carries the statuses of accounts it follows)."""
        account_id = self._account_id or self.verify_credentials().remote_id
        timeout = httpx.Timeout(self._timeout, read=STREAM_READ_TIMEOUT)
        headers = {**self._auth(), "Accept": "text/event-stream"}
        with self._http.stream(
            "GET", "/api/v1/streaming/user", headers=headers, timeout=timeout
        ) as response:
            answer = self._http.answer(response, "the user stream")
            yield self._stream_events(answer, account_id)

    def _stream_events(self, answer: Answer, account_id: str) -> Iterator[StreamEvent]:
        for event, data in server_sent_events(answer.response.iter_lines()):
            if event == "heartbeat":
                yield StreamEvent("heartbeat")
            elif event == "delete":
                yield StreamEvent("delete", remote_id=data.strip())
            elif event in STREAM_EVENTS:
                status = _json_or_none(data)
                author = status.get("account") if isinstance(status, dict) else None
                if isinstance(author, dict) and str(author.get("id")) == account_id:
                    yield StreamEvent(STREAM_EVENTS[event], post=_remote_post(answer, status))
        raise RetryableError(f"{self.platform}: the stream ended")

    def revoke_credentials(self) -> bool:
        """Revoke the token (RFC 7009); Mastodon wants the app's client id and secret."""
        form = {"token": self._token}
        if self._client_id and self._client_secret:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        response = self._http.request("POST", "/oauth/revoke", data=form)
        self._http.answer(response, "the revocation").object(empty_ok=True)  # documented: {}
        return True

    def server_limits(self) -> dict[str, int] | None:
        """``configuration.statuses`` of ``GET /api/v2/instance``: servers change Mastodon's
        500 characters (and some their URL length), so the rules count as this one does.
        Values that are not sensible positive integers are left out, not trusted."""
        response = self._http.request("GET", "/api/v2/instance", headers=self._auth())
        answer = self._http.answer(response, "the instance")
        config = answer.expect_object(answer.object().get("configuration"), "a configuration")
        statuses = answer.expect_object(config.get("statuses"), "a configuration.statuses")
        found = {ours: statuses.get(theirs) for ours, theirs in INSTANCE_LIMITS}
        return {
            name: value
            for name, value in found.items()
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 1_000_000
        } or None

    def close(self) -> None:
        self._http.close()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


def _remote_post(answer: Answer, item: Any) -> RemotePost:
    """A listed status as a RemotePost; a boost shows the boosted post's text.

    A status without an id or a readable ``created_at`` fails the whole page:
    a read-back or a takedown must not act on a partial picture.
    """
    status = answer.expect_object(item, "a status object")
    reblog = status.get("reblog")
    content = answer.text(status.get("content"), "a status content")
    if not content and reblog is not None:
        content = answer.text(
            answer.expect_object(reblog, "a reblog object").get("content"), "a reblog content"
        )
    edited = status.get("edited_at")
    visibility = status.get("visibility")
    found = entities(status, content)
    return RemotePost(
        remote_id=answer.identifier(status.get("id"), "a status id"),
        text=html_to_text(content),
        created_at=answer.time(status.get("created_at"), "a status created_at"),
        url=answer.text(status.get("url") or status.get("uri"), "a status url") or None,
        edited_at=answer.time(edited, "a status edited_at") if edited is not None else None,
        visibility=visibility if isinstance(visibility, str) else None,
        raw=status,
        mentions=found.get("mentions", ()),
        tags=found.get("tags", ()),
        links=found.get("links", ()),
    )


def entities(status: dict[str, Any], content: str) -> dict[str, tuple[str, ...]]:
    """What the Status says it mentions, tags and links to (``mentions``, ``tags``, ``card``
    and the links in ``content``); entries of the wrong shape are left out, not trusted."""
    mentions = [m.get("acct") for m in _objects(status.get("mentions"))]
    tags = [t.get("name") for t in _objects(status.get("tags"))]
    card = status.get("card")
    links = html_links(content) + ([card.get("url")] if isinstance(card, dict) else [])
    return {
        "mentions": tuple(m for m in mentions if isinstance(m, str) and m),
        "tags": tuple(t for t in tags if isinstance(t, str) and t),
        "links": tuple(u for u in links if isinstance(u, str) and u),
    }


def server_sent_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` from the lines of an event stream (the HTML standard's parsing:
    ``data`` lines joined, one leading space dropped); a comment line (Mastodon's ``:)`` and
    ``:thump``) comes as ``("heartbeat", "")``."""
    event, data = "", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", list[str]()
        elif line.startswith(":"):
            yield "heartbeat", ""
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


def _json_or_none(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _time_or(value: Any, clock: Clock) -> datetime:
    """The platform's timestamp when readable, else now by ``clock``."""
    try:
        return parse_time(value)
    except (TypeError, ValueError, AttributeError):
        return clock()


def _next_max_id(answer: Answer) -> str | None:
    """``max_id`` of the ``rel="next"`` link.

    We take the id, not the URL: following a URL the server hands us could
    send the bearer token to another host.
    """
    link = answer.response.links.get("next")
    if not link or "url" not in link:
        return None
    try:
        return httpx.URL(link["url"]).params.get("max_id")
    except (httpx.InvalidURL, ValueError):
        raise answer.malformed("with a next link that is not a URL") from None
