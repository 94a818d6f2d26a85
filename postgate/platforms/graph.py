"""What Meta's Graph APIs share: Facebook Pages, Instagram and Threads.

**Errors.** Every Graph API error is a JSON body ``{"error": {"message", "type", "code",
"error_subcode", "is_transient", "fbtrace_id"}}``, and its HTTP status says little: a rate
limit or an expired token arrives as a 400. So the kind comes from the code
(https://developers.facebook.com/docs/graph-api/guides/error-handling/):

- ``4``, ``17``, ``32``, ``613``, ``80001``-``80014`` (application, user, page and business
  use-case rate limits) and ``9`` (Instagram's and Threads' publishing limit): retry later,
  after the usage header's estimate or a minute;
- ``368`` (temporarily blocked for a policy violation): retry much later, never at once;
- ``190`` (access token expired, revoked or invalid) and ``102`` (session): credentials;
- ``1``, ``2`` and any error marked ``is_transient``: retry;
- anything else (``100`` invalid parameter, ``10``/``200`` permission): permanent.

The message keeps Meta's own words and codes: ``<message> (code 190, subcode 463)``.

**Rate-limit headers.** ``X-App-Usage`` and ``X-Page-Usage`` give percentages only;
``X-Business-Use-Case-Usage`` also gives ``estimated_time_to_regain_access`` in minutes,
which becomes the wait (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import httpx

from .answers import Answer, PageCursors, json_kind
from .base import Clock, Connector, ConnectorError, PermanentError, RemotePost, page_size, utc_now
from .http import (
    CREDENTIALS,
    PERMANENT,
    RATE_LIMITED,
    RETRYABLE,
    ErrorStyle,
    HttpClient,
    Verdict,
    error_field,
    segment,
)
from .media import MediaFile

RATE_LIMIT_CODES = frozenset({4, 9, 17, 32, 613, *range(80001, 80015)})
POLICY_BLOCK = 368
POLICY_WAIT = 3600.0  # a policy block lasts; hammering it prolongs it
# A rate limit without an estimate (X-App-Usage gives percentages only) still waits: the
# answer is a 400, so a wait is what tells the worker and the takedown's pacer to hold off.
RATE_WAIT = 60.0
CREDENTIAL_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({1, 2})
MAX_PAGE = 100  # the largest "limit" the Graph APIs' lists take
NOT_FOUND_SUBCODE = 33  # code 100: "Object with ID ... does not exist"


def graph_error(body: Any) -> dict[str, Any]:
    """The ``error`` object of a Graph API error body, or ``{}``."""
    error = error_field(body, "error")
    return error if isinstance(error, dict) else {}


def describe(body: Any) -> str | None:
    """Meta's message with its code and subcode, which its documentation is indexed by."""
    error = graph_error(body)
    message = error.get("error_user_msg") or error.get("message")
    if not message:
        return None
    codes = [f"code {error['code']}"] if "code" in error else []
    if error.get("error_subcode"):
        codes.append(f"subcode {error['error_subcode']}")
    return f"{message} ({', '.join(codes)})" if codes else str(message)


def classify(status: int, body: Any, headers: httpx.Headers) -> Verdict | None:
    """The kind of a Graph API error from its code (see the module docstring); a 5xx keeps
    the status's meaning (the outcome of a create is unknown)."""
    if status >= 500:
        return None
    error = graph_error(body)
    code = error.get("code")
    if code in RATE_LIMIT_CODES:
        return RATE_LIMITED, usage_wait(headers) or RATE_WAIT
    if code == POLICY_BLOCK:
        return RATE_LIMITED, POLICY_WAIT
    if code in CREDENTIAL_CODES or status == 401:
        return CREDENTIALS, None
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return RETRYABLE, None
    if status == 429:
        return RATE_LIMITED, usage_wait(headers) or RATE_WAIT
    return (PERMANENT, None) if error else None


def usage_wait(headers: httpx.Headers) -> float | None:
    """Seconds until access is regained, from ``X-Business-Use-Case-Usage`` (the longest
    ``estimated_time_to_regain_access`` of its entries, in minutes); None when no header
    says (``X-App-Usage`` gives percentages only)."""
    raw = headers.get("x-business-use-case-usage")
    try:
        usage = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(usage, dict):
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in usage.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    waits = [m for m in minutes if isinstance(m, int | float) and not isinstance(m, bool)]
    return max(waits) * 60.0 if waits and max(waits) > 0 else None


STYLE = ErrorStyle(describe=describe, classify=classify)


def is_gone(response: httpx.Response) -> bool:
    """A delete of a post that no longer exists: 404, or Graph's code 100 subcode 33."""
    if response.status_code == 404:
        return True
    if response.status_code != 400:
        return False
    try:
        error = graph_error(response.json())
    except ValueError:
        return False
    return error.get("code") == 100 and error.get("error_subcode") == NOT_FOUND_SUBCODE


def confirm_success(answer: Answer, platform: str, what: str) -> None:
    """A ``{"success": true}`` answer; ``false`` is a refusal, anything else malformed."""
    success = answer.object().get("success")
    if success is False:
        raise PermanentError(f"{platform}: the platform did not confirm {what}", status=200)
    if success is not True:
        raise answer.malformed("without success true or false")


def page_items(answer: Answer) -> tuple[list[Any], str | None]:
    """A Graph list: its ``data`` array and the ``paging.cursors.after`` cursor, present
    only while ``paging.next`` says there is a next page."""
    body = answer.object()
    data = body.get("data", [])
    if not isinstance(data, list):
        raise answer.malformed(f"with data that is a JSON {json_kind(data)}, not an array")
    paging = answer.expect_object(body.get("paging", {}), "a paging object")
    if not paging.get("next"):
        return data, None
    cursors = answer.expect_object(paging.get("cursors", {}), "a paging.cursors object")
    return data, answer.text(cursors.get("after"), "a paging.cursors.after") or None


def list_posts(
    http: HttpClient,
    path: str,
    params: dict[str, Any],
    headers: dict[str, str],
    convert: Callable[[Answer, Any], RemotePost],
    *,
    since: datetime | None,
    limit: int | None,
) -> list[RemotePost]:
    """A cursor-paged Graph list of posts, newest first, back to ``since`` or up to
    ``limit`` (``limit=None`` pages on until ``since`` or the last page)."""
    posts: list[RemotePost] = []
    cursors = PageCursors()
    after: str | None = None
    while limit is None or len(posts) < limit:
        query = {**params, "limit": page_size(MAX_PAGE, limit, len(posts))}
        if after:
            query["after"] = after
        answer = http.answer(http.request("GET", path, params=query, headers=headers), "the list")
        data, cursor = page_items(answer)
        page = [convert(answer, item) for item in data]
        posts.extend(p for p in page if since is None or p.created_at >= since)
        after = cursors.next(answer, cursor)
        if not page or not after or (since and page[-1].created_at < since):
            break
    return posts if limit is None else posts[:limit]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class GraphConnector(Connector):
    """A connector on one of Meta's Graph APIs: one HTTP client, a bearer token (sent in
    the ``Authorization`` header, so it never sits in a URL or a log line), the shared
    error style, and revocation by ``DELETE /me/permissions`` where Facebook Login issued
    the token (https://developers.facebook.com/docs/facebook-login/guides/permissions/request-revoke)."""

    default_base_url: str

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
        self._clock = clock
        self._http = HttpClient(
            platform=self.platform,
            base_url=base_url or self.default_base_url,
            style=STYLE,
            timeout=timeout,
            transport=transport,
            clock=clock,
            redact=self._redact,
        )

    def keep_secret(self, value: str) -> None:
        """Redact a token the platform issued on the way (a page access token) like ours."""
        if value and value not in self._secrets:
            self._secrets = (*self._secrets, value)

    def revoke_credentials(self) -> bool:
        response = self._http.request("DELETE", "/me/permissions", headers=bearer(self._token))
        confirm_success(self._http.answer(response, "the revocation"), self.platform, "it")
        return True

    def close(self) -> None:
        self._http.close()

    def _delete_object(self, remote_id: str, token: str) -> str:
        """``DELETE /{id}``: ``deleted``, or ``not_found`` when it is already gone."""
        response = self._http.send("DELETE", f"/{segment(remote_id)}", headers=bearer(token))
        if is_gone(response):
            return "not_found"
        answer = self._http.answer(self._http.check(response), "the delete")
        confirm_success(answer, self.platform, "the deletion")
        return "deleted"

    def _create(self, path: str, form: dict[str, str], token: str, call: str) -> str:
        """A POST whose answer is ``{"id"}`` (a container, an unpublished photo): its id."""
        response = self._http.request("POST", path, data=form, headers=bearer(token))
        answer = self._http.answer(response, call)
        return answer.identifier(answer.object().get("id"), "an id")

    def _permalink(self, media_id: str) -> str | None:
        """The new post's link; the post is public already, so a failure here is no error."""
        try:
            response = self._http.request(
                "GET",
                f"/{segment(media_id)}",
                params={"fields": "permalink"},
                headers=bearer(self._token),
            )
            link = self._http.answer(response, "the permalink").object().get("permalink")
        except ConnectorError:
            return None
        return link if isinstance(link, str) and link.startswith("https://") else None

    def _publish(self, path: str, form: dict[str, str], token: str) -> str:
        """The POST that makes the post public: a lost or unreadable answer means the
        outcome is unknown (the worker reads the account back)."""
        response = self._http.request("POST", path, data=form, headers=bearer(token))
        answer = self._http.answer(response, "the publish", outcome_unknown=True)
        return answer.identifier(answer.object().get("id"), "an id")


def public_image_url(platform: str, file: MediaFile) -> str:
    """Instagram and Threads fetch each image from a public URL (cURL, at publish time):
    Postgate's signed download link, which exists only with ``[web] public_url`` set."""
    if not file.download_url:
        raise PermanentError(
            f"{platform}: images are fetched by the platform from a public address: "
            "set public_url in [web] of the settings file"
        )
    return file.download_url
