"""Stored reasons in the reader's language, the stored English kept for the record: the web
app's side of :mod:`postgate.reason_words`.

The templates, the matching and the translation are in the core (so the notifications sent
by the workers read the same French); this module gives them Flask-Babel's words for the
request's locale and makes them Jinja filters (``reason_text``, ``post_reason``,
``rules_text``, ``summary_text``, ``takedown_text``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext, pgettext

from gateway.i18n import locale_name
from postgate import reason_words
from postgate.reason_words import (  # noqa: F401  (the names pages and tests know)
    EVERYONE,
    ORIGINAL,
    PLATFORM_REFUSED,
    QUOTED,
    RULE_TEXTS,
    TAKEDOWN_TEXTS,
    TEMPLATES,
    Words,
    _match,
)


def words() -> Words:
    """Flask-Babel's words for the current request's locale."""
    return Words(gettext, pgettext, english=locale_name() == "en")


def account_status(status: str) -> str:
    return reason_words.account_status(words(), status)


def reason_text(
    text: str, *, quote_unknown: bool = False, templates: tuple[str, ...] = TEMPLATES
) -> str:
    """One stored reason in the reader's language; as stored when no template fits it
    (quoted as the original when ``quote_unknown``, for what came from a platform)."""
    return reason_words.reason_text(words(), text, quote_unknown=quote_unknown, templates=templates)


def rules_text(text: str | None) -> str:
    return reason_words.rules_text(words(), text)


def account_change_text(text: str) -> str:
    return reason_words.account_change_text(words(), text)


def takedown_text(text: str | None) -> str:
    return reason_words.takedown_text(words(), text)


def notification_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    return reason_words.notification_params(words(), kind, params)


def summary_text(event: dict[str, Any]) -> str:
    return reason_words.summary_text(words(), event)


def post_reason(post: Any) -> str:
    return reason_words.post_reason(words(), post)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["reason_text"] = reason_text
    app.jinja_env.filters["post_reason"] = post_reason
    app.jinja_env.filters["rules_text"] = rules_text
    app.jinja_env.filters["summary_text"] = summary_text
    app.jinja_env.filters["takedown_text"] = takedown_text
