"""French and English for the web app (Flask-Babel).

The locale comes from the user's own choice (a cookie set by the language switch in the
header), then the browser's ``Accept-Language``, then French, the first language of early
users. Catalogs live in ``gateway/translations`` and the compiled ``.mo`` files are
committed, so running Postgate needs no build step. Times are shown on the viewer's own
clock by the ``shown_time`` filter (``gateway/clock.py``); the calendar keeps the account's,
since that is the clock its posting windows are written on.

Rule findings arrive in English from ``rules`` (which knows no Flask) with the template and
parameters they were made from; :func:`finding_text` shows them in the reader's language.
Their French is in ``messages.po``; ``-k Template`` extracts the templates where ``babel.cfg``
maps ``rules/**.py``, and ``tests/gateway/test_finding_i18n.py`` fails while one lacks its
French in the compiled catalog.

Service errors (``postgate.errors``) work the same way: an English ``message`` for the API
and the CLI, made from a ``template`` and ``params`` that :func:`error_text` shows in the
reader's language wherever a page shows an error. ``babel.cfg`` maps ``postgate/**.py``, and
the exception classes are extraction keywords, so their templates land in ``messages.po``;
``tests/gateway/test_catalog_complete.py`` fails while one lacks its French.

Update the catalog after changing text (the ``-k`` list of errors is every class of
``postgate.errors``)::

    pybabel extract -F babel.cfg -k _l -k N_ -k Template -k PostgateError -k SettingsError \
        -k MalformedRequest -k ValidationFailed -k NotAuthenticated -k OtpRequired \
        -k OtpInvalid -k Forbidden -k NotFound -k Conflict -k RateLimited \
        -o /tmp/messages.pot .
    pybabel update -i /tmp/messages.pot -d gateway/translations -l fr --no-fuzzy-matching
    pybabel compile -d gateway/translations

``babel.cfg`` gives the error classes itself (Babel 2.17 and later); the ``-k`` list repeats
them for older versions. Every text of the web app, of every page and every service error,
is in the one domain, ``messages``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_currency, format_decimal
from flask import Blueprint, Flask, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale, gettext, lazy_gettext, pgettext

from gateway.redirects import safe_next
from postgate.errors import PostgateError
from postgate.safe_output import shown_link
from postgate.states import PostStatus
from rules import Place, RuleConfigError, day_number

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
COOKIE = "postgate_lang"
ONE_YEAR = 365 * 24 * 3600

babel = Babel()
bp = Blueprint("i18n", __name__)
_l = lazy_gettext


def N_(message: str) -> str:
    """Mark text that is translated later, where it is shown (extraction only)."""
    return message


# Labels, help texts and messages of gateway/web/auth.py, translated where the templates and
# base.html show them (``_(f.label.text)``, ``_(message)``).
AUTH_TEXT = (
    N_("User name"),
    N_("Password"),
    N_("Authentication code"),
    N_("The 6-digit code from your authenticator app, or a recovery code."),
    N_("Needed unless you entered one in the last few minutes."),
    N_("Code shown by the app"),
    N_("Token name"),
    N_("Valid for (days)"),
    N_("You are signed out."),
    N_("The token was revoked."),
    N_("No set-up is waiting any more; start again."),
    # roles, shown in the header and on the profile
    N_("author"),
    N_("reviewer"),
    N_("security"),
    N_("admin"),
)


def select_locale() -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def locale_name() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def local_time(value: datetime | None, timezone: str = "UTC", style: str = "medium") -> str:
    """``value`` (aware, UTC) as read on the clock of ``timezone``, in the user's language."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value, style, tzinfo=ZoneInfo(timezone), locale=locale_name())


def local_date(value: object, style: str = "full") -> str:
    return format_date(value, style, locale=locale_name())  # type: ignore[arg-type]


def from_iso(value: str | None) -> datetime | None:
    """An ISO 8601 string of a service's dict as a datetime, for ``localtime``; None when it
    is not one (evidence holds what a platform said)."""
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    """Remember the chosen language in a cookie and go back where the user was."""
    code = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")) or url_for("auth.login"))
    if code in LOCALES:
        response.set_cookie(COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


def translate(value: object) -> str:
    """Translate text known only at run time (flash messages, field errors) as a plain
    string, which Jinja still escapes; ``_()`` in a template would mark it safe. Service
    errors arrive already in the reader's language (:func:`error_text`): this leaves them."""
    return gettext(str(value)) if value else ""


_DAY_RE = re.compile(r"[^\W\d_]+\.?")  # a word: a day name, in English or French


def finding_text(finding: Mapping[str, Any]) -> str:
    """A rule finding (as stored: a dict) in the reader's language: template, then params.

    A finding stored before findings carried a template shows its English message, and so
    does one whose translation does not fit its parameters. An administrator's own message
    (``rules.VERBATIM``) has no catalog entry, so it shows as written.
    """
    message = str(finding.get("message") or "")
    template, params = finding.get("template"), finding.get("params")
    if not template or not isinstance(params, dict):
        return message
    locale = locale_name()
    values = {name: _local_param(name, value, locale) for name, value in params.items()}
    try:
        return gettext(template).format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return message


def _local_param(name: str, value: object, locale: str) -> object:
    """A finding parameter written for ``locale``, by the name conventions of ``rules.Template``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    if not isinstance(value, str):
        return value
    try:
        if name == "windows":
            days = get_day_names("abbreviated", locale=locale)
            return _DAY_RE.sub(lambda m: _day_name(m.group(0), days), value)
        if name == "date" or name.endswith("_date"):
            style = "full" if name == "date" else "long"  # the weekday matters for windows
            return format_date(date.fromisoformat(value), style, locale=locale)
        if name.endswith("_price"):
            amount, currency = value.split()
            return format_currency(Decimal(amount), currency, locale=locale)
    except (ValueError, ArithmeticError):
        pass  # "…" for an open-ended promotion, or a value from elsewhere: as it is
    return value


def local_windows(specs: list[str] | str | None) -> str:
    """An account's posting windows as stored ("mon-fri 08:00-20:00", "lundi 09:00-12:00"),
    their day names in the reader's language."""
    if not specs or isinstance(specs, str):
        return str(specs or "")
    days = get_day_names("abbreviated", locale=locale_name())
    return ", ".join(_DAY_RE.sub(lambda m: _day_name(m.group(0), days), str(s)) for s in specs)


def _day_name(word: str, days: Mapping[int, str]) -> str:
    number = day_number(word)
    return word if number is None else days[number]


def error_text(exc: PostgateError) -> str:
    """A service error in the reader's language: its template translated, then filled in.

    Parameter names say how a value is shown: an ``int`` is a count, written the locale's
    way; ``status`` is a post status, shown as the word for it; anything else (a name, an
    id, a ``detail`` from outside Postgate such as a platform's answer) is shown as it is.
    The English ``message`` shows when the translation does not fit the parameters.
    """
    template = getattr(exc, "template", None) or exc.message
    params = getattr(exc, "params", None) or {}
    if not params:
        return gettext(template)
    locale = locale_name()
    values = {name: _error_param(name, value, locale) for name, value in params.items()}
    _config_detail(exc, values)
    try:
        return gettext(template).format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return exc.message


def _config_detail(exc: PostgateError, values: dict[str, object]) -> None:
    """A service error made from a bad rule configuration (raised ``from`` the
    ``RuleConfigError``) shows that error in the reader's language as its ``detail``."""
    cause = exc.__cause__
    if isinstance(cause, RuleConfigError) and "detail" in values:
        values["detail"] = config_error_text(cause)


def config_error_text(exc: RuleConfigError) -> str:
    """A rule-configuration error in the reader's language: where (file, line, rule, key or
    column) and what, each translated from the English templates of :mod:`rules.errors`. The
    English (``str(exc)``) shows when a translation does not fit its parameters."""
    try:
        detail = gettext(exc.template).format(**exc.params) if exc.params else gettext(exc.template)
        if exc.where is None:
            return detail
        return gettext("{place}: {detail}").format(place=place_text(exc.where), detail=detail)
    except (KeyError, IndexError, ValueError, AttributeError):
        return str(exc)


def place_text(place: Place) -> str:
    """Where in the rules or the catalogue, in the reader's language."""
    parts = [place.file]
    if place.line is not None:
        parts.append(gettext("line {line}").format(line=place.line))
    if place.char is not None:
        parts.append(gettext("column {char}").format(char=place.char))
    if place.entry is not None:
        parts.append(place.entry)  # rules[2]: as written in the file
    if place.rule is not None:
        parts.append(gettext('rule "{rule}"').format(rule=place.rule))
    if place.account is not None:
        parts.append(gettext('account "{account}"').format(account=place.account))
    if place.override is not None:
        parts.append(gettext("override {override!r}").format(override=place.override))
    if place.key is not None:
        parts.append(gettext("key {key!r}").format(key=place.key))
    if place.column is not None:
        parts.append(gettext("column {column!r}").format(column=place.column))
    return ", ".join(parts)


def _error_param(name: str, value: object, locale: str) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    if name == "status" and isinstance(value, str):
        return post_status(value)
    return value


def post_status(status: str) -> str:
    """A post's status as the adjective an error message uses ("a cancelled post")."""
    words: dict[str, str] = {
        PostStatus.DRAFT: pgettext("post status", "draft"),
        PostStatus.PENDING_REVIEW: pgettext("post status", "in review"),
        PostStatus.BLOCKED: pgettext("post status", "blocked"),
        PostStatus.SCHEDULED: pgettext("post status", "scheduled"),
        PostStatus.PUBLISHING: pgettext("post status", "publishing"),
        PostStatus.PUBLISHED: pgettext("post status", "published"),
        PostStatus.REJECTED: pgettext("post status", "rejected"),
        PostStatus.CANCELLED: pgettext("post status", "cancelled"),
        PostStatus.FAILED: pgettext("post status", "failed"),
        PostStatus.DELETED: pgettext("post status", "deleted"),
    }
    return words.get(status, status)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE)
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["localdate"] = local_date
    app.jinja_env.filters["fromiso"] = from_iso
    app.jinja_env.filters["shown_link"] = shown_link  # a platform's URL, or None if unsafe
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.filters["finding_text"] = finding_text
    app.jinja_env.filters["error_text"] = error_text
    app.jinja_env.filters["local_windows"] = local_windows
    app.jinja_env.globals.update(locale_name=locale_name, LOCALES=LOCALES, _l=_l)
    app.jinja_env.globals.setdefault("gettext", gettext)
