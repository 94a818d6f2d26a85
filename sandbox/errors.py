"""Domain errors of the sandbox, each carrying the HTTP status and Mastodon's error text.

Views and the store raise these; one Flask error handler renders ``{"error": message}``
the way Mastodon does, so no view builds error responses by hand.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base error: ``status`` is the HTTP code, ``message`` Mastodon's ``error`` text."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(SandboxError):
    """Malformed input (unparsable JSON, non-numeric ids)."""

    status = 400


class Unauthorized(SandboxError):
    """Missing, unknown or revoked access token."""

    status = 401


class Forbidden(SandboxError):
    """The token's account may not act on this record."""

    status = 403

    def __init__(self, message: str = "This action is not allowed") -> None:
        super().__init__(message)


class NotFound(SandboxError):
    """Absent or deleted record."""

    status = 404

    def __init__(self, message: str = "Record not found") -> None:
        super().__init__(message)


class Invalid(SandboxError):
    """Well-formed input with invalid values, Mastodon's ``Validation failed: ...``."""

    status = 422
