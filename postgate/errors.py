"""Domain exceptions: services raise these, the API and the CLI map them to answers.

Each carries the HTTP status and error code of CONTRACT.md so one handler can render them.

The message is English (what the API, the CLI and the logs carry), made from a template
with named ``{fields}`` and the parameters given as keyword arguments, the way rule findings
are (``rules.Template``)::

    ValidationFailed("the password needs at least {count} characters", field="password",
                     count=MIN_LENGTH)

The web layer shows ``gettext(template)`` filled in with the same parameters
(``gateway.i18n.error_text``), so the first argument must be a literal string: extraction
finds it there (``babel.cfg``), and ``tests/gateway/test_catalog_complete.py`` fails while
one lacks its French or is an f-string. Parameters are values, never words: a sentence that
changes with a case gets a template per case. The names the web layer reads are in
``gateway.i18n.error_text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

Param = str | int


class PostgateError(Exception):
    """Base of every error a user can cause and should be told about."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        template: str,
        *,
        field: str | None = None,
        code: str | None = None,
        **params: Param,
    ) -> None:
        message = template.format(**params) if params else template
        super().__init__(message)
        self.message = message
        self.template = template
        self.params: Mapping[str, Param] = MappingProxyType(dict(params))
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        body = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class SettingsError(PostgateError):
    """A setting is missing or invalid; the message names the setting."""

    code = "settings_invalid"


class MalformedRequest(PostgateError):
    status = 400
    code = "malformed"


class ValidationFailed(PostgateError):
    status = 422
    code = "invalid"


class NotAuthenticated(PostgateError):
    status = 401
    code = "not_authenticated"


class OtpRequired(NotAuthenticated):
    code = "otp_required"


class OtpInvalid(NotAuthenticated):
    code = "otp_invalid"


class Forbidden(PostgateError):
    status = 403
    code = "forbidden"


class NotFound(PostgateError):
    status = 404
    code = "not_found"


class Conflict(PostgateError):
    status = 409
    code = "conflict"


class ConsentRefused(PostgateError):
    """A platform said no to a connection: the admin denied consent, or the code was refused."""

    status = 400
    code = "consent_refused"


class PlatformUnavailable(PostgateError):
    """A platform's authorization server could not be reached or answered nonsense."""

    status = 502
    code = "platform_unavailable"


class RateLimited(PostgateError):
    status = 429
    code = "rate_limited"

    def __init__(
        self, template: str, *, retry_after: int, field: str | None = None, **params: Param
    ) -> None:
        super().__init__(template, field=field, code=None, **params)
        self.retry_after = max(1, int(retry_after))


class OperationError(Exception):
    """An operator's command cannot be carried out: a port is taken, the schema is behind,
    a backup is refused. Only the command line shows these (in English, like all its
    output), never a web page, so they are not service errors and need no translation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
