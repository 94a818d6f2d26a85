"""Reading a platform's 2xx answer without trusting it.

A success status says nothing about the body: a proxy's HTML page, an empty
body, JSON without the id or with the wrong types all arrive as 200. Each
connector reads its answers through an :class:`Answer`, whose accessors return
the documented value or raise :class:`MalformedResponseError` with a reason a
person can act on ("mastodon answered 200 to the publish without a status
id"), so no ``KeyError``, ``TypeError`` or ``JSONDecodeError`` ever leaves a
connector. Messages name the call and the field, never the body: a body may
echo a credential, and the client's ``redact`` runs over the message anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from .base import MalformedResponseError
from .timeutil import parse_time

MAX_MESSAGE = 300
_JSON_KINDS: dict[type, str] = {dict: "object", list: "array", str: "string"}


def json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return _JSON_KINDS.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Answer:
    """One 2xx response to one call, with ``outcome_unknown`` set for a create."""

    platform: str
    response: httpx.Response
    call: str
    redact: Callable[[str], str]
    outcome_unknown: bool = False

    def malformed(self, problem: str) -> MalformedResponseError:
        """The error for this answer: ``<platform> answered <status> to <call> <problem>``."""
        status = self.response.status_code
        message = f"{self.platform} answered {status} to {self.call} {problem}"
        return MalformedResponseError(
            self.redact(message)[:MAX_MESSAGE],
            status=status,
            outcome_unknown=self.outcome_unknown,
        )

    def body(self, *, empty_ok: bool = False) -> Any:
        """The parsed JSON body; None for an empty body when ``empty_ok``."""
        if not self.response.content.strip():
            if empty_ok:
                return None
            raise self.malformed("with an empty body")
        try:
            return self.response.json()
        except ValueError:
            kind = self.response.headers.get("content-type", "").split(";")[0].strip()
            raise self.malformed(
                f"with a body that is not JSON ({kind or 'no content type'})"
            ) from None

    def object(self, *, empty_ok: bool = False) -> dict[str, Any]:
        """The body as a JSON object (``{}`` for an empty body when ``empty_ok``)."""
        body = self.body(empty_ok=empty_ok)
        if body is None and empty_ok:
            return {}
        return self.expect_object(body, "a JSON object")

    def array(self) -> list[Any]:
        body = self.body()
        if not isinstance(body, list):
            raise self.malformed(f"with a JSON {json_kind(body)} instead of an array")
        return body

    def expect_object(self, value: Any, what: str) -> dict[str, Any]:
        """``value`` when it is a JSON object, else the error naming ``what`` was expected."""
        if not isinstance(value, dict):
            if value is None:
                raise self.malformed(f"without {what}")
            raise self.malformed(f"with a JSON {json_kind(value)} instead of {what}")
        return value

    def identifier(self, value: Any, what: str) -> str:
        """A non-empty id: a string, or an integer (some servers send numbers)."""
        if value is None or value == "":
            raise self.malformed(f"without {what}")
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.malformed(f"with {what} that is a JSON {json_kind(value)}, not a string")
        return value

    def text(self, value: Any, what: str, *, default: str = "") -> str:
        """An optional string field: ``default`` when absent or null."""
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.malformed(f"with {what} that is a JSON {json_kind(value)}, not a string")
        return value

    def time(self, value: Any, what: str) -> datetime:
        """A required ISO 8601 timestamp, as aware UTC."""
        if value is None:
            raise self.malformed(f"without {what}")
        if not isinstance(value, str):
            raise self.malformed(f"with {what} that is a JSON {json_kind(value)}, not a time")
        try:
            return parse_time(value)
        except ValueError:
            raise self.malformed(f"with {what} that is not an ISO 8601 time") from None


class PageCursors:
    """The next-page cursors of one listing. A read-back pages until before its claim
    (``limit=None``), so a server that hands out a cursor it gave before, or pages without
    end, must not keep it listing forever: the listing is refused as malformed instead."""

    MAX_PAGES = 1000

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def next(self, answer: Answer, cursor: str | None) -> str | None:
        """``cursor``, once it is known not to repeat an earlier one."""
        if not cursor:
            return None
        if cursor in self._seen:
            raise answer.malformed("with a next page it already gave")
        if len(self._seen) >= self.MAX_PAGES:
            raise answer.malformed(f"with more than {self.MAX_PAGES} pages")
        self._seen.add(cursor)
        return cursor
