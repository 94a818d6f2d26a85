"""Hostile input stops at the door, before any view sees it (:mod:`postgate.inputs` says what
is refused and why).

- Every JSON body is parsed strictly (``app.json``): too deep, not UTF-8, a lone surrogate,
  a NUL character or ``NaN`` is a 400, for the API and for pages that read JSON alike.
- Query strings, form fields and path parts holding a NUL character are a 400.
- A body is at most 1 MiB (``MAX_CONTENT_LENGTH``), except for a view marked
  :data:`TAKES_UPLOAD` (an image upload), which takes up to ``max_bytes`` of ``[media]``.
- An ``<int:...>`` in a route matches only ids the store can hold (1 to 2^31 - 1), so a
  larger one is a 404 like any id that does not exist, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from postgate.inputs import check_texts, parse_json
from postgate.media.config import media_settings
from postgate.store.types import INT_MAX


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with :func:`postgate.inputs.parse_json` reading request bodies."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


class StoreIdConverter(IntegerConverter):
    """``<int:...>`` for ids the store can hold: 1 to 2^31 - 1 (PostgreSQL's ``integer``)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


TAKES_UPLOAD = "takes_upload"  # an attribute set on a view function that accepts an image
FORM_OVERHEAD = 64 * 1024  # the multipart framing and small fields around the file
# The bodies Werkzeug reads into ``request.form`` and ``request.files`` (its FormDataParser).
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes take their converters when added."""
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = StoreIdConverter

    @app.before_request
    def allow_uploads() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, TAKES_UPLOAD, False):
            settings = current_app.extensions["postgate"].settings
            request.max_content_length = media_settings(settings).max_bytes + FORM_OVERHEAD

    @app.before_request
    def refuse_bad_text() -> None:
        # A multipart part without a readable name comes as None: no text to check in it.
        check_texts(
            (k or "", v or "")
            for k, v in (
                *((k, v) for k, v in (request.view_args or {}).items() if isinstance(v, str)),
                *request.args.items(multi=True),
                *((k, k) for k in request.args),
                *_form_texts(),
            )
        )


def _form_texts() -> list[tuple[str | None, Any]]:
    """The form's fields and file names; none for a body of another type (a JSON call),
    which Werkzeug would not parse as a form either: asking it to costs every API call."""
    if request.mimetype not in FORM_TYPES:
        return []
    return [
        *request.form.items(multi=True),
        *((k, k) for k in request.form),
        *((k, k) for k in request.files),
    ]
