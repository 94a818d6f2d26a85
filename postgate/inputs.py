"""What any text from outside must be before Postgate looks at it.

Three things break code far from where they came in, so they are refused at the door with a
400 that says why: a NUL character (PostgreSQL cannot store it, and no post or name needs
it), a lone UTF-16 surrogate (``"\\ud800"`` in JSON: valid JSON, but not text, so hashing or
storing it fails), and JSON nested deeper than any request of the API (the parser would
recurse until the interpreter gives up). JSON's ``NaN`` and ``Infinity``, which Python
accepts and JSON does not, are refused too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from postgate.errors import MalformedRequest

MAX_JSON_DEPTH = 32  # the API's deepest body is 3 levels; room for clients that wrap
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJSON(ValueError):
    """A body that is not JSON Postgate accepts; a ValueError, as JSON parsers raise."""

    def __init__(self, refusal: MalformedRequest) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def is_text(value: str) -> bool:
    """Whether ``value`` holds neither a NUL character nor a lone surrogate."""
    return "\x00" not in value and _SURROGATE.search(value) is None


def check_text(name: str, value: str) -> None:
    """Refuse ``value`` (the field ``name``) unless it is text (see the module doc)."""
    if "\x00" in value:
        raise MalformedRequest("{name} contains a NUL character", field=name, name=name)
    if _SURROGATE.search(value):
        raise MalformedRequest(
            "{name} contains a lone surrogate, which is not text", field=name, name=name
        )


def check_texts(named: Iterable[tuple[str, str]]) -> None:
    for name, value in named:
        check_text(name, value)


def parse_json(raw: bytes | str) -> Any:
    """Parse a request body strictly; raises BadJSON (a ValueError) saying what is wrong."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadJSON(_nested()) from None
    except BadJSON:
        raise
    except ValueError as exc:  # also UnicodeDecodeError: the body is not UTF-8
        raise BadJSON(
            MalformedRequest("the body is not valid JSON: {detail}", detail=_first_line(exc))
        ) from None
    try:
        check_texts(_strings(value, 0))
    except MalformedRequest as refusal:
        raise BadJSON(refusal) from None
    return value


def _refuse_constant(name: str) -> Any:
    raise BadJSON(MalformedRequest("the body is not valid JSON: {detail}", detail=name))


def _nested() -> MalformedRequest:
    return MalformedRequest(
        "the body is nested more than {depth} levels deep", depth=MAX_JSON_DEPTH
    )


def _strings(value: Any, depth: int, where: str = "body") -> Iterator[tuple[str, str]]:
    """Every string of a parsed body with the field it belongs to; refuses deep nesting."""
    if depth > MAX_JSON_DEPTH:
        raise _nested()
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, key  # a key is named by where it is: its name is the problem
            yield from _strings(item, depth + 1, key if depth == 0 and is_text(key) else where)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1, where)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
