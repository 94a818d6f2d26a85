"""Mastodon (and the ``sandbox`` platform, which speaks the same API subset).

Endpoints: ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header, so a
retried publish with the same key returns the first status instead of posting
twice (Mastodon remembers keys for about an hour: invariant 5 still relies on
the worker's read-back for older claims); ``DELETE /api/v1/statuses/:id``;
``GET /api/v1/accounts/verify_credentials``; ``GET /api/v1/accounts/:id/statuses``
paged with ``max_id`` from the ``Link`` header; ``POST /oauth/revoke``.

Answers are checked against the documented shapes (a Status, an array of
them, an Account, ``{}`` for revoke) and anything else is a
:class:`MalformedResponseError`; to the publish it carries ``outcome_unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx

from .answers import Answer
from .base import AccountInfo, Clock, Connector, RemotePost, utc_now
from .html_text import html_to_text
from .http import ErrorStyle, HttpClient, error_field, segment
from .timeutil import parse_time

PAGE_SIZE = 40  # Mastodon's maximum for account statuses

STYLE = ErrorStyle(
    describe=lambda body: error_field(body, "error"),
    reset_header="x-ratelimit-reset",
    reset_is_epoch=False,
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
    ) -> None:
        super().__init__(secrets=secrets)
        self.platform = platform
        self._token = credentials["token"]
        self._client_id = credentials.get("client_id")
        self._client_secret = credentials.get("client_secret")
        self._account_id: str | None = None
        self._clock = clock
        self._http = HttpClient(
            platform=platform,
            base_url=base_url or "",
            style=STYLE,
            timeout=timeout,
            transport=transport,
            clock=clock,
            redact=self._redact,
        )

    def publish(self, text: str, *, idempotency_key: str) -> RemotePost:
        """Post a status; its id is all the answer must hold, the rest falls back to ours."""
        headers = {**self._auth(), "Idempotency-Key": idempotency_key}
        response = self._http.request(
            "POST", "/api/v1/statuses", headers=headers, json={"status": text}
        )
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

    def edit(self, remote_id: str, text: str) -> str:
        """Replace a status's text (``PUT /api/v1/statuses/:id``, Mastodon 3.5+)."""
        response = self._http.send(
            "PUT",
            f"/api/v1/statuses/{segment(remote_id)}",
            headers=self._auth(),
            json={"status": text},
        )
        if response.status_code == 404:
            return "not_found"
        answer = self._http.answer(self._http.check(response), "the edit")
        edited = answer.object()
        if answer.identifier(edited.get("id"), "a status id") != remote_id:
            raise answer.malformed("with another status's id")
        return "neutralised"

    def list_recent(self, *, since: datetime | None = None, limit: int = 100) -> list[RemotePost]:
        account_id = self._account_id or self.verify_credentials().remote_id
        posts: list[RemotePost] = []
        max_id: str | None = None
        while len(posts) < limit:
            params: dict[str, Any] = {"limit": min(PAGE_SIZE, limit - len(posts))}
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
            max_id = _next_max_id(answer)
            if not page or not max_id or (since and page[-1].created_at < since):
                break
        return posts[:limit]

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request(
            "GET", "/api/v1/accounts/verify_credentials", headers=self._auth()
        )
        answer = self._http.answer(response, "verify_credentials")
        account = answer.object()
        self._account_id = answer.identifier(account.get("id"), "an account id")
        count = account.get("statuses_count")
        return AccountInfo(
            remote_id=self._account_id,
            handle=answer.text(account.get("acct"), "an acct"),
            url=answer.text(account.get("url"), "a url") or None,
            posts_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        )

    def revoke_credentials(self) -> bool:
        """Revoke the token (RFC 7009); Mastodon wants the app's client id and secret."""
        form = {"token": self._token}
        if self._client_id and self._client_secret:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        response = self._http.request("POST", "/oauth/revoke", data=form)
        self._http.answer(response, "the revocation").object(empty_ok=True)  # documented: {}
        return True

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
    return RemotePost(
        remote_id=answer.identifier(status.get("id"), "a status id"),
        text=html_to_text(content),
        created_at=answer.time(status.get("created_at"), "a status created_at"),
        url=answer.text(status.get("url") or status.get("uri"), "a status url") or None,
        edited_at=answer.time(edited, "a status edited_at") if edited is not None else None,
        visibility=visibility if isinstance(visibility, str) else None,
        raw=status,
    )


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
