"""Reading a request into its declared model, and saying clearly what is wrong when it does
not fit: CONTRACT.md's 400 when the body is not a JSON object, 422 naming the first field at
fault when it is one with a bad value.

Pydantic finds every fault; the answer names the first, in the order the model declares its
fields, with a message made from a template of :mod:`postgate.errors` (English for the API,
translated where a page shows it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from postgate.errors import MalformedRequest, ValidationFailed
from postgate.inputs import BadJSON, parse_json

M = TypeVar("M", bound=BaseModel)


def json_body() -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body), or a 400 naming what is wrong:
    read by :func:`postgate.inputs.parse_json`, which refuses what is not text at the door."""
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


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """``data`` read into ``model``, or the :class:`ValidationFailed` of its first fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(model, data, exc.errors()[0]) from None


def refusal(model: type[BaseModel], data: Mapping[str, Any], error: ErrorDetails) -> Exception:
    """The 422 for one fault pydantic found, naming the top-level field it lies in."""
    name = str(error["loc"][0]) if error["loc"] else "body"
    declared = model.model_fields.get(name)
    if declared is not None:
        if declared.is_required() and data.get(name) is None:
            return ValidationFailed("{name} is required", field=name, name=name)
        for given in declared.metadata:
            if isinstance(given, ValidationFailed):
                return ValidationFailed(given.template, field=name, code=None, **given.params)
    where = name + "".join(f"[{part}]" for part in error["loc"][1:] if isinstance(part, int))
    return _by_kind(error, name, where)


def _by_kind(error: ErrorDetails, name: str, where: str) -> ValidationFailed:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_type":
        return ValidationFailed("{name} must be a string", field=name, name=where)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return ValidationFailed("{name} must be a whole number", field=name, name=where)
    if kind in ("bool_type", "bool_parsing"):
        return ValidationFailed("{name} must be true or false", field=name, name=where)
    if kind == "list_type":
        return ValidationFailed("{name} must be a list", field=name, name=where)
    if kind in ("dict_type", "model_type"):
        return ValidationFailed("{name} must be an object", field=name, name=where)
    if kind in ("literal_error", "enum"):
        return ValidationFailed(
            "{name} must be one of {choices}", field=name, name=where, choices=ctx["expected"]
        )
    if kind == "string_too_long":
        return ValidationFailed(
            "{name} is longer than {count} characters",
            field=name,
            name=where,
            count=ctx["max_length"],
        )
    if kind == "too_long":
        return ValidationFailed(
            "{name} has more than {count} items", field=name, name=where, count=ctx["max_length"]
        )
    if kind == "greater_than_equal":
        return ValidationFailed(
            "{name} must be at least {limit}", field=name, name=where, limit=str(ctx["ge"])
        )
    if kind == "less_than_equal":
        return ValidationFailed(
            "{name} must be at most {limit}", field=name, name=where, limit=str(ctx["le"])
        )
    if kind == "refused":  # a parser of postgate refused the value: its own words
        refused = ctx["refusal"]
        return ValidationFailed(refused.template, field=name, **refused.params)
    if kind == "not_text":
        return ValidationFailed(
            "{name} holds a NUL character or a lone surrogate, which is not text",
            field=name,
            name=where,
        )
    return ValidationFailed(
        "{name} is not valid: {detail}", field=name, name=where, detail=error["msg"]
    )
