"""Request-scoped access to the runtime, the caller and the JSON body."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from sqlalchemy.orm import Session

from postgate.errors import Forbidden, MalformedRequest, NotAuthenticated, ValidationFailed
from postgate.runtime import Runtime
from postgate.store.models import AuthToken, User

F = TypeVar("F", bound=Callable[..., Any])


def rt() -> Runtime:
    return current_app.extensions["postgate"]


def source_address() -> str:
    return request.remote_addr or ""


def current_user() -> User:
    user = g.get("user")
    if user is None:
        raise NotAuthenticated("log in first")
    return user


def current_token() -> AuthToken | None:
    return g.get("token")


def live_user(db: Session) -> User:
    """The caller as stored now, in ``db``.

    Never ``db.merge(current_user())``: that would write the request's stale copy back and
    undo a revocation or a TOTP step accepted since the request began.
    """
    user = db.get(User, current_user().id)
    if user is None or user.disabled:
        raise NotAuthenticated("the token is unknown, expired or revoked")
    return user


def otp_of(data: dict[str, Any]) -> str | None:
    """The optional ``otp`` field of a JSON body, as a string."""
    value = field(data, "otp", (str, int), required=False)
    return None if value is None or value == "" else str(value)


def step_up(data: dict[str, Any]) -> None:
    """Require a fresh TOTP proof: ``otp`` in the body, or a recent one on this session."""
    from postgate.services import sessions

    sessions.step_up(rt(), current_user(), current_token(), otp_of(data), source=source_address())


def require_roles(*roles: str) -> Callable[[F], F]:
    """Refuse with 403 unless the caller holds one of ``roles`` (checked on every call)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user().has_role(*roles):
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 naming what is wrong."""
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if data is None:
        raise MalformedRequest("the body is not valid JSON (Content-Type: application/json)")
    if not isinstance(data, dict):
        raise MalformedRequest("the body must be a JSON object")
    return data


def field(
    data: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...] = str,
    *,
    required: bool = True,
    default: Any = None,
) -> Any:
    """One field of a JSON body, checked for presence and type."""
    if name not in data or data[name] is None:
        if required:
            raise ValidationFailed(f"{name} is required", field=name)
        return default
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValidationFailed(f"{name} must be a {names.replace('str', 'string')}", field=name)
    return value
