"""Log lines an operator can search: plain text or one JSON object per line, never a secret.

``POSTGATE_LOG_FORMAT`` (or ``[logging] format`` in the settings file) chooses ``text``
(the default, for a person at a terminal) or ``json`` (for a log pipeline: Loki,
Elasticsearch, CloudWatch). Every line carries the request id of the web request it
belongs to; the id travels with the jobs that request queued (RQ job ``meta``), so the
approval of a post and the worker's publish of it share one id. A caller may send its own
``X-Request-Id`` (a proxy's, say) when it is short and plain; otherwise one is made.

Secrets are kept out of messages where they are made (connectors redact their tokens);
as a second line of defence the formatter masks what looks like a bearer token, a password
or token parameter, or an ``Authorization`` header in any message before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

_request_id: ContextVar[str | None] = ContextVar("postgate_request_id", default=None)
_ID_SHAPE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SECRET_SHAPES = (
    re.compile(r"(?i)(bearer\s+)[^\s,;\"']+"),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\s,;\"']+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|password|secret|otp)[\"']?\s*[=:]\s*[\"']?)[^\s&,;\"']+"
    ),
)
# Fields of a LogRecord that are not ``extra=`` values a caller passed.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return secrets.token_hex(8)


def accepted_request_id(offered: str | None) -> str:
    """The caller's ``X-Request-Id`` when it is short and plain, else a new one."""
    if offered and _ID_SHAPE.match(offered):
        return offered
    return new_request_id()


@contextmanager
def request_id_bound(value: str | None) -> Iterator[None]:
    """Log lines written inside carry ``value`` as their request id."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


def bind_request_id(value: str | None) -> object:
    """Set the request id until :func:`unbind_request_id` (for Flask's before/teardown hooks)."""
    return _request_id.set(value)


def unbind_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def redact(text: str) -> str:
    for shape in _SECRET_SHAPES:
        text = shape.sub(r"\1[redacted]", text)
    return text


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or _request_id.get(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool) else redact(str(value))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(log_format: str, level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every logger's lines to ``stream`` (stderr) in ``log_format``; run once per process."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
