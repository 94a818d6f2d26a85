"""Cursors of paged lists: opaque to clients, signed so they cannot be forged or edited, and
bound to the list and filters they were made for.

A cursor carries a keyset position (:mod:`postgate.services.listing`): the key after which
the next page starts, or before which the previous one ends. Its signature uses the web
secret (``POSTGATE_WEB_SECRET``) under a salt of its own, so a session cookie is never a
cursor nor a cursor a cookie. A cursor that does not verify, or that belongs to another list
or other filters, is refused with a 400 naming the ``cursor`` field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from postgate.errors import ValidationFailed
from postgate.services.listing import Key

SALT = "postgate.list-cursor"
MAX_LENGTH = 200


@dataclass(frozen=True)
class Position:
    after: Key | None = None
    before: Key | None = None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=SALT)


def _digest(filters: dict[str, str]) -> str:
    text = json.dumps(filters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make(
    list_name: str, filters: dict[str, str], *, after: Key | None = None, before: Key | None = None
) -> str | None:
    """The cursor of a position in ``list_name`` under ``filters``; None for no position."""
    if after is None and before is None:
        return None
    payload: dict[str, Any] = {"l": list_name, "f": _digest(filters)}
    payload["a" if after is not None else "b"] = after if after is not None else before
    return str(_serializer().dumps(payload))


def read(raw: str | None, list_name: str, filters: dict[str, str]) -> Position:
    """The position a cursor names: the first page for none; a 400 for a bad one."""
    if not raw:
        return Position()
    try:
        payload = _serializer().loads(raw)
    except BadData:
        raise ValidationFailed(
            "cursor is not one this server gave: use the `next` of the previous page",
            field="cursor",
        ) from None
    if not isinstance(payload, dict) or payload.get("l") != list_name:
        raise ValidationFailed("cursor belongs to another list", field="cursor")
    if payload.get("f") != _digest(filters):
        raise ValidationFailed(
            "cursor was made for other filters: repeat the same filters, or start over",
            field="cursor",
        )
    after, before = payload.get("a"), payload.get("b")
    if not all(v is None or _is_key(v) for v in (after, before)):
        raise ValidationFailed("cursor is not one this server gave", field="cursor")
    return Position(after=after, before=before)


def _is_key(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value >= 0) or (isinstance(value, str) and len(value) < 256)
