"""Mastodon (and the ``sandbox`` platform, which speaks the same API subset).

Endpoints: ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header, so a
retried publish with the same key returns the first status instead of posting
twice (Mastodon remembers keys for about an hour: invariant 5 still relies on
the worker's read-back for older claims); ``DELETE /api/v1/statuses/:id``;
``GET /api/v1/accounts/verify_credentials``; ``GET /api/v1/accounts/:id/statuses``
paged with ``max_id`` from the ``Link`` header; ``POST /oauth/revoke``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

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
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock = utc_now,
        platform: str = "mastodon",
    ) -> None:
        if not base_url:
            raise ValueError(f"{platform}: base_url is required (the server's address)")
        super().__init__(secrets=[credentials["token"], credentials.get("client_secret", "")])
        self.platform = platform
        self._token = credentials["token"]
        self._client_id = credentials.get("client_id")
        self._client_secret = credentials.get("client_secret")
        self._account_id: str | None = None
        self._http = HttpClient(
            platform=platform,
            base_url=base_url,
            style=STYLE,
            timeout=timeout,
            transport=transport,
            clock=clock,
            redact=self._redact,
        )

    def publish(self, text: str, *, idempotency_key: str) -> RemotePost:
        headers = {**self._auth(), "Idempotency-Key": idempotency_key}
        response = self._http.request(
            "POST", "/api/v1/statuses", headers=headers, json={"status": text}
        )
        return _remote_post(self._http.json(response))

    def delete(self, remote_id: str) -> str:
        response = self._http.send(
            "DELETE", f"/api/v1/statuses/{segment(remote_id)}", headers=self._auth()
        )
        if response.status_code == 404:
            return "not_found"
        self._http.check(response)
        return "deleted"

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
            page = [_remote_post(status) for status in self._http.json(response)]
            posts.extend(p for p in page if since is None or p.created_at >= since)
            max_id = _next_max_id(response)
            if not page or not max_id or (since and page[-1].created_at < since):
                break
        return posts[:limit]

    def verify_credentials(self) -> AccountInfo:
        response = self._http.request(
            "GET", "/api/v1/accounts/verify_credentials", headers=self._auth()
        )
        account = self._http.json(response)
        self._account_id = str(account["id"])
        return AccountInfo(
            remote_id=self._account_id, handle=account.get("acct", ""), url=account.get("url")
        )

    def revoke_credentials(self) -> bool:
        """Revoke the token (RFC 7009); Mastodon wants the app's client id and secret."""
        form = {"token": self._token}
        if self._client_id and self._client_secret:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        self._http.request("POST", "/oauth/revoke", data=form)
        return True

    def close(self) -> None:
        self._http.close()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


def _remote_post(status: dict[str, Any]) -> RemotePost:
    """A status as a RemotePost; a boost shows the boosted post's text."""
    content = status.get("content") or ""
    if not content and isinstance(status.get("reblog"), dict):
        content = status["reblog"].get("content") or ""
    return RemotePost(
        remote_id=str(status["id"]),
        text=html_to_text(content),
        created_at=parse_time(status["created_at"]),
        url=status.get("url") or status.get("uri"),
    )


def _next_max_id(response: httpx.Response) -> str | None:
    """``max_id`` of the ``rel="next"`` link.

    We take the id, not the URL: following a URL the server hands us could
    send the bearer token to another host.
    """
    link = response.links.get("next")
    if not link or "url" not in link:
        return None
    return httpx.URL(link["url"]).params.get("max_id")
