"""Domain exceptions: services raise these, the API and the CLI map them to answers.

Each carries the HTTP status and error code of CONTRACT.md so one handler can render them.
"""

from __future__ import annotations


class PostgateError(Exception):
    """Base of every error a user can cause and should be told about."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
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


class RateLimited(PostgateError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))
