"""The JSON body of an API request: the object itself, its fields checked for presence and
type, and the optional ``otp`` of a sensitive request with its step-up."""

from __future__ import annotations

from typing import Any

from flask import request

from gateway.access import current_token, current_user
from gateway.context import rt, source_address
from postgate.errors import MalformedRequest, ValidationFailed
from postgate.inputs import BadJSON, parse_json
from postgate.services import sessions


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 naming what is wrong."""
    if not request.data:
        return {}
    if not request.is_json:
        raise MalformedRequest("the body is not valid JSON (Content-Type: application/json)")
    try:
        data = parse_json(request.get_data())
    except BadJSON as exc:
        raise exc.refusal from None
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


def otp_of(data: dict[str, Any]) -> str | None:
    """The optional ``otp`` field of a JSON body, as a string."""
    value = field(data, "otp", (str, int), required=False)
    return None if value is None or value == "" else str(value)


def step_up(data: dict[str, Any]) -> None:
    """Require a fresh TOTP proof: ``otp`` in the body, or a recent one on this session."""
    sessions.step_up(rt(), current_user(), current_token(), otp_of(data), source=source_address())
