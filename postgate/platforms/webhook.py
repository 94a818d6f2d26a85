"""A generic signed HTTP target, for platforms Postgate has no connector for.

Every call is ``POST {url}`` with a JSON body and two headers::

    X-Postgate-Timestamp: 1714564800
    X-Postgate-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

Bodies: ``{"event": "publish", "idempotency_key", "text", "media"?}``, answered with
``{"id", "url"?}``; ``{"event": "delete", "idempotency_key", "remote_id"}``,
answered 2xx (or 404/410 when already gone); ``{"event": "ping",
"idempotency_key"}`` for :meth:`verify_credentials`, answered 2xx with an
optional ``{"id", "handle"}``. A receiver checks the signature over the raw
bytes it received (see :func:`verify_signature`), rejects stale timestamps so
a captured request cannot be replayed later, and deduplicates on
``idempotency_key``. There is no listing or revocation: ``list_recent``
returns ``[]`` and ``revoke_credentials`` returns False.

A publish answered 2xx without an ``id`` (or with a body that is not a JSON
object) is a :class:`MalformedResponseError` with ``outcome_unknown``: the
receiver may have stored the post, so the worker treats it like a lost answer
and, finding nothing to read back, sends it again under the same
``idempotency_key``, which the receiver deduplicates on.

A post's images travel as ``"media": [{"sha256", "mime", "alt", "width", "height", "url",
"expires_at"}]``, in order: ``url`` is a signed link to the image on Postgate (``public_url``
of ``[web]``), valid until ``expires_at``; the receiver downloads it and checks the SHA-256.

The URL counts as a secret too (many webhook URLs embed a token), so it never
appears in errors or in an :class:`AccountInfo`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import httpx

from .base import AccountInfo, Clock, Connector, PermanentError, RemotePost, utc_now
from .http import ErrorStyle, HttpClient, error_field
from .media import MediaFile, UploadMemo

SIGNATURE_HEADER = "X-Postgate-Signature"
TIMESTAMP_HEADER = "X-Postgate-Timestamp"
STYLE = ErrorStyle(describe=lambda body: error_field(body, "error"), reset_header=None)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Postgate-Signature`` value for ``body`` sent at ``timestamp``."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: datetime,
    tolerance: float = 300,
) -> bool:
    """What a receiver runs: right signature, timestamp within ``tolerance`` seconds."""
    try:
        age = abs(now.timestamp() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookConnector(Connector):
    """Posts reach a URL of the customer's own, signed with a shared secret.

    ``base_url`` is ignored: the target URL is a credential, kept with the secret.
    """

    platform = "webhook"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        credentials: dict[str, str],
        secrets: Iterable[str],
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(secrets=secrets)
        self._url = credentials["url"]
        self._secret = credentials["secret"]
        self._clock = clock
        self._http = HttpClient(
            platform=self.platform,
            base_url="",
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
        if any(file.download_url is None for file in media):
            raise PermanentError(
                f"{self.platform}: images need public_url in [web] of the settings, "
                "for the receiver's download links"
            )
        sent_at = self._clock()
        payload: dict[str, Any] = {
            "event": "publish",
            "idempotency_key": idempotency_key,
            "text": text,
        }
        if media:
            payload["media"] = [
                {
                    "sha256": file.sha256,
                    "mime": file.mime,
                    "alt": file.alt,
                    "width": file.width,
                    "height": file.height,
                    "url": file.download_url,
                    "expires_at": file.download_expires,
                }
                for file in media
            ]
        response = self._http.check(self._post(payload))
        answer = self._http.answer(response, "the publish", outcome_unknown=True)
        data = answer.object()
        remote_id = answer.identifier(data.get("id"), "an id")
        url = data.get("url")
        return RemotePost(remote_id, text, sent_at, url if isinstance(url, str) else None)

    def delete(self, remote_id: str) -> str:
        payload = {
            "event": "delete",
            "idempotency_key": f"delete:{remote_id}",
            "remote_id": remote_id,
        }
        response = self._post(payload)
        if response.status_code in (404, 410):
            return "not_found"
        self._http.check(response)
        return "deleted"

    def list_recent(
        self, *, since: datetime | None = None, limit: int | None = 100
    ) -> list[RemotePost]:
        """Unsupported: a webhook cannot be read back, so this is always empty."""
        return []

    def verify_credentials(self) -> AccountInfo:
        key = f"ping:{int(self._clock().timestamp())}"
        response = self._http.check(self._post({"event": "ping", "idempotency_key": key}))
        answer = self._http.answer(response, "the ping")
        data = answer.object(empty_ok=True)  # the body is optional
        remote_id = data.get("id")
        return AccountInfo(
            answer.identifier(remote_id, "an id") if remote_id is not None else "webhook",
            answer.text(data.get("handle"), "a handle") or "webhook",
            None,
        )

    def revoke_credentials(self) -> bool:
        """A shared secret cannot be revoked remotely: rotate it on both sides."""
        return False

    def close(self) -> None:
        self._http.close()

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            "Idempotency-Key": payload["idempotency_key"],
        }
        return self._http.send("POST", self._url, headers=headers, content=body)
