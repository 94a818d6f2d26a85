"""The HTTP plumbing shared by all connectors: one place maps failures to errors.

Transport failures and HTTP statuses become :class:`RetryableError`,
:class:`PermanentError` or :class:`CredentialsError`; each platform only says
how to read its error body and which rate-limit header it sends. A 2xx body is
read through :meth:`HttpClient.answer`, which turns a body that is not what
the platform documents into a :class:`MalformedResponseError`. No httpx
exception is chained onto ours (``from None``): an httpx exception carries the
request, whose headers hold the bearer token. httpx logs every request's URL
at INFO, and a webhook URL is itself a secret, so each client also installs a
filter on the ``httpx`` logger that redacts its credentials while it is open.
"""

from __future__ import annotations

import html
import logging
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from postgate.urlguard import URLRefused, tls_context

from .answers import Answer
from .base import Clock, ConnectorError, CredentialsError, PermanentError, RetryableError
from .ratelimit import retry_after

MAX_DETAIL = 300
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")
_INVALID_TOKEN = re.compile(r"""error\s*=\s*"?invalid_token""", re.IGNORECASE)


def ssl_context() -> ssl.SSLContext:
    """The process's one verifying TLS context (:func:`postgate.urlguard.tls_context`): the
    connectors and the address guard share it."""
    return tls_context()


def _unauthorized(status: int, body: Any) -> bool:
    return status == 401


# What a platform's own error code says a failure is, whatever HTTP status carries it (Meta's
# Graph API answers a rate limit or an expired token with a 400): the kind, and how many
# seconds to wait when the platform says.
Verdict = tuple[str, float | None]
RATE_LIMITED, RETRYABLE, CREDENTIALS, PERMANENT = (
    "rate_limited",
    "retryable",
    "credentials",
    "permanent",
)


@dataclass(frozen=True)
class ErrorStyle:
    """How one platform words its errors and rate limits.

    ``classify`` reads the platform's own error codes (body and headers) where the HTTP
    status does not tell; None leaves the decision to the status.
    """

    describe: Callable[[Any], str | None]
    reset_header: str | None = None
    reset_is_epoch: bool = True
    is_credentials_error: Callable[[int, Any], bool] = field(default=_unauthorized)
    classify: Callable[[int, Any, httpx.Headers], Verdict | None] | None = None


class _RedactingFilter(logging.Filter):
    """Rewrites a log record whose text contains one of our credentials."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class HttpClient:
    """An ``httpx.Client`` whose failures are already connector errors."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        style: ErrorStyle,
        timeout: float,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redact: Callable[[str], str],
    ) -> None:
        self._platform = platform
        self._style = style
        self._clock = clock
        self._redact = redact
        self._client = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            verify=ssl_context(),
            transport=transport,
            follow_redirects=False,  # a redirect must not carry our token elsewhere
            headers={"User-Agent": "Postgate", "Accept": "application/json"},
        )
        self._log_filter = _RedactingFilter(redact)
        logging.getLogger("httpx").addFilter(self._log_filter)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; transport failures raise, any HTTP status returns."""
        try:
            return self._client.request(method, path, **kwargs)
        except URLRefused as exc:  # nothing was sent: the destination is not allowed
            raise PermanentError(self._redact(f"{self._platform}: refused: {exc}")) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            message = f"{self._platform}: could not connect ({type(exc).__name__})"
            raise RetryableError(message) from None
        except httpx.TimeoutException as exc:
            message = f"{self._platform}: timed out waiting for a reply ({type(exc).__name__})"
            raise RetryableError(message, outcome_unknown=True) from None
        except httpx.UnsupportedProtocol:
            raise PermanentError(f"{self._platform}: unsupported URL scheme") from None
        except httpx.TransportError as exc:
            message = f"{self._platform}: connection failed ({type(exc).__name__})"
            raise RetryableError(message, outcome_unknown=True) from None
        except httpx.InvalidURL:
            raise PermanentError(f"{self._platform}: invalid URL") from None
        except UnicodeEncodeError:  # httpx sends header values as ASCII: a typed token can't be
            raise PermanentError(
                f"{self._platform}: the credentials hold characters HTTP headers cannot carry"
            ) from None

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A response whose body is read as it comes (server-sent events); its status and
        headers are checked like :meth:`request`'s, failures raised as connector errors."""
        try:
            with self._client.stream(method, path, **kwargs) as response:
                if not response.is_success:
                    response.read()
                    raise self.error_for(response)
                yield response
        except httpx.TransportError as exc:
            message = f"{self._platform}: the stream failed ({type(exc).__name__})"
            raise RetryableError(message) from None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request and raise unless the platform answered 2xx."""
        return self.check(self.send(method, path, **kwargs))

    def check(self, response: httpx.Response) -> httpx.Response:
        """Return a 2xx response; raise the matching connector error otherwise."""
        if response.is_success:
            return response
        raise self.error_for(response)

    def error_for(self, response: httpx.Response) -> ConnectorError:
        """Map a non-2xx response to the connector error a worker acts on."""
        status = response.status_code
        body = body_or_none(response)
        message = self._message(status, body, response)
        verdict = (
            self._style.classify(status, body, response.headers) if self._style.classify else None
        )
        if verdict is not None:
            return _error_of(verdict, message, status)
        if status in (408, 429):
            wait = retry_after(
                response.headers,
                reset_header=self._style.reset_header,
                reset_is_epoch=self._style.reset_is_epoch,
                clock=self._clock,
            )
            return RetryableError(message, status=status, retry_after=wait)
        if status >= 500:
            return RetryableError(message, status=status, outcome_unknown=True)
        if self._style.is_credentials_error(status, body) or _bearer_refused(response):
            return CredentialsError(message, status=status)
        return PermanentError(message, status=status)

    def answer(
        self, response: httpx.Response, call: str, *, outcome_unknown: bool = False
    ) -> Answer:
        """A 2xx response to read defensively (see :mod:`.answers`).

        ``outcome_unknown`` is for the answer to a create: a malformed one may
        still mean the platform acted, so the worker reads the account back.
        """
        return Answer(self._platform, response, call, self._redact, outcome_unknown)

    def close(self) -> None:
        logging.getLogger("httpx").removeFilter(self._log_filter)
        self._client.close()

    def _message(self, status: int, body: Any, response: httpx.Response) -> str:
        """``<platform>: HTTP <status>: <the platform's own words>``: its JSON error as the
        style reads it, else the text of a non-JSON body (an HTML error page, a proxy's
        plain text), else the reason phrase; cut, on one line, credentials redacted."""
        detail = None
        if body is not None:
            try:
                detail = self._style.describe(body)
            except (AttributeError, KeyError, TypeError, IndexError):
                detail = None
        detail = detail or (body_text(response) if body is None else None)
        detail = " ".join(str(detail or response.reason_phrase or "error").split())
        return self._redact(f"{self._platform}: HTTP {status}: {detail[:MAX_DETAIL]}")


def _error_of(verdict: Verdict, message: str, status: int) -> ConnectorError:
    """The connector error a platform's own error code calls for; a refused call never
    reached the point of acting, so its outcome is known."""
    kind, wait = verdict
    if kind in (RATE_LIMITED, RETRYABLE):
        return RetryableError(message, status=status, retry_after=wait)
    if kind == CREDENTIALS:
        return CredentialsError(message, status=status)
    return PermanentError(message, status=status)


def body_text(response: httpx.Response) -> str | None:
    """The readable text of a non-JSON error body: tags, scripts and control characters
    removed, entities decoded, whitespace collapsed; None when nothing readable is left."""
    try:
        raw = response.content[: MAX_DETAIL * 20].decode(response.encoding or "utf-8", "replace")
    except LookupError:
        raw = response.content[: MAX_DETAIL * 20].decode("utf-8", "replace")
    text = _UNPRINTABLE.sub(" ", html.unescape(_TAGS.sub(" ", raw)))
    return " ".join(text.split())[:MAX_DETAIL] or None


def _bearer_refused(response: httpx.Response) -> bool:
    """RFC 6750 §3.1: ``WWW-Authenticate: Bearer error="invalid_token"`` says the token is
    invalid, expired or revoked, whatever status carries it."""
    return bool(_INVALID_TOKEN.search(response.headers.get("www-authenticate", "")))


def body_or_none(response: httpx.Response) -> Any:
    """The response's JSON, or None when it has no readable JSON body."""
    try:
        return response.json()
    except ValueError:
        return None


def error_field(body: Any, key: str) -> Any:
    """``body[key]`` when the body is a JSON object, else None."""
    return body.get(key) if isinstance(body, dict) else None


def segment(value: str) -> str:
    """``value`` quoted as one URL path segment, so an id cannot reach another path."""
    return quote(value, safe="")
