"""The kinds of value the API reads and writes, as pydantic types, and the three bases of its
models: :class:`Body` (a JSON request body), :class:`Query` (a query string) and
:class:`Answer` (a JSON answer).

Each type carries its own limits (a name no longer than its column, text without a NUL
character or a lone surrogate, a time with an offset), so the same declaration refuses bad
input with a 422 that names the field and tells clients, through ``/api/v1/openapi.json``,
what the API accepts. A :class:`~postgate.errors.ValidationFailed` in a field's
``Annotated`` metadata is the refusal for any bad value of that field
(:mod:`gateway.api.parsing`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import InstrumentedAttribute

from postgate.errors import ValidationFailed
from postgate.inputs import is_text
from postgate.timeparse import parse_aware


def column_length(column: InstrumentedAttribute[Any]) -> int:
    """The most characters ``column`` (a ``String(n)`` of the store) holds."""
    length = column.property.columns[0].type.length
    assert isinstance(length, int), f"{column} has no length"
    return length


def one_of(values: tuple[str, ...]) -> Any:
    """``Literal[*values]``: a vocabulary the store defines, listed in the description."""
    return Literal[values]


def _is_text(value: str) -> str:
    """Refuse what no stored text holds (:func:`postgate.inputs.is_text`). The door refuses
    it in request bodies and query strings already; a model holds the rule on its own."""
    if not is_text(value):
        raise PydanticCustomError("not_text", "holds a NUL character or a lone surrogate")
    return value


Text = Annotated[str, AfterValidator(_is_text)]
"""A string of real characters (see :func:`_is_text`)."""


def Limited(length: int) -> Any:
    """Text of at most ``length`` characters, e.g. ``Limited(column_length(User.username))``."""
    return Annotated[Text, Field(max_length=length)]


def _time(value: object, info: ValidationInfo) -> object:
    """An aware UTC datetime from the text; None passes through, for the ``| None`` of an
    optional time. The refusal is :func:`parse_aware`'s own, carried to
    :mod:`gateway.api.parsing` so it is reported in field order like any other."""
    if value is None:
        return None
    try:
        return parse_aware(value, info.field_name or "time")
    except ValidationFailed as exc:
        context = {"message": exc.message, "refusal": exc}
        raise PydanticCustomError("refused", "{message}", context) from None


AwareTime = Annotated[
    datetime,
    BeforeValidator(_time),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An ISO 8601 time with a UTC offset (``Z`` accepted), read as an aware UTC datetime."""

Otp = Annotated[
    str | int,
    ValidationFailed("otp must be a string of 6 digits", field="otp"),
    Field(description="A current TOTP code, or a recovery code."),
]

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
"""A time in an answer: ISO 8601 with its offset, as the store gave it (never re-written,
since audit entries are hashed over this very text)."""


class Body(BaseModel):
    """A JSON request body: types are strict (``"1"`` is not a number, ``true`` is not 1), and
    fields the model does not name are ignored, as they always were."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class SteppedUp(Body):
    """The body of a sensitive request (invariant 3 of docs/invariants.md): ``otp`` is required
    unless the session proved a TOTP code within the step-up window."""

    otp: Otp | None = None

    @property
    def code(self) -> str | None:
        return code_of(self.otp)


def code_of(otp: str | int | None) -> str | None:
    """An ``otp`` field as the services take it: text, or None when absent or empty."""
    return None if otp is None or otp == "" else str(otp)


class Query(BaseModel):
    """A query string: values arrive as text, so numbers are read from it (lax mode)."""

    model_config = ConfigDict(strict=False, extra="ignore", frozen=True)


class Answer(BaseModel):
    """A JSON answer, built from what the services return and checked on the way out: a field
    the model does not declare, or a value of the wrong type, is a bug (500 and logged), so
    the description at ``/api/v1/openapi.json`` is what the API sends."""

    model_config = ConfigDict(strict=True, extra="forbid")
