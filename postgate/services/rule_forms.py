"""Each kind of rule as a structured form: the fields of its options, their values read from
the rules' TOML, and what a form (web) or a JSON body (API) gives checked field by field, an
error naming the field (and the line, for a list) before the rule set is validated as a whole.

A saved form is a new version through :mod:`postgate.services.rule_versions`, like any
change; :mod:`postgate.services.rule_changes` tells whether it loosens protection.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from postgate.errors import ValidationFailed
from postgate.services import rule_edits
from rules import RULE_KINDS
from rules.windows import parse_window

SEVERITIES = ("block", "flag")
PERSONAL_TYPES = ("card", "iban", "email", "phone")
PLATFORMS = ("x", "mastodon", "bluesky", "sandbox", "webhook")
_DOMAIN = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_LIMIT = re.compile(r"([a-z][a-z0-9_-]*)\s*[=:]\s*(\d{1,9})")


@dataclass(frozen=True)
class FormField:
    """One option of a kind: ``type`` is ``lines`` (strings, one a line), ``domains``,
    ``dates``, ``windows`` (``mon-fri 08:00-20:00``, one a line), ``text``, ``regex``,
    ``int``, ``float``, ``bool``, ``choice`` (one of ``choices``), ``choices`` (any of
    them) or ``limits`` (a whole number per platform)."""

    name: str
    type: str
    default: Any = None
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()


FIELDS: dict[str, tuple[FormField, ...]] = {
    "banned_terms": (FormField("terms", "lines"),),
    "pattern": (
        FormField("pattern", "regex"),
        FormField("message", "text", default=""),
        FormField("ignore_case", "bool", default=True),
    ),
    "links": (
        FormField("allow", "domains"),
        FormField("block", "domains"),
        FormField("unlisted_severity", "choice", default="flag", choices=SEVERITIES),
    ),
    "prices": (FormField("distance", "int", default=60, low=1, high=1000),),
    "personal_data": (
        FormField("types", "choices", choices=PERSONAL_TYPES),
        FormField("allow_email_domains", "domains"),
    ),
    "platform_limits": (FormField("max_length", "limits"), FormField("max_media", "limits")),
    "alt_text": (FormField("max_length", "limits"),),
    "posting_window": (FormField("windows", "windows"), FormField("blackout_dates", "dates")),
    "duplicates": (FormField("threshold", "float", default=0.9, low=0.0, high=1.0),),
    "freeze": (),
}


def fields_of(kind: str) -> tuple[FormField, ...]:
    return FIELDS.get(kind, ())


def rules_shown(rules: str) -> list[dict[str, Any]]:
    """The organisation's rules with their form: ``{"id", "kind", "severity", "fields":
    [{"name", "type", "choices", "value", "text"}], "other"}``; ``text`` is the value as the
    web form's box shows it, ``other`` the options the form does not cover (kept as they
    are)."""
    shown = []
    for rule in tomllib.loads(rules).get("rules", []):
        if not isinstance(rule, dict) or "id" not in rule:
            continue
        kind = str(rule.get("kind", ""))
        known = RULE_KINDS.get(kind)
        fields = []
        for f in fields_of(kind):
            value = rule.get(f.name, f.default)
            fields.append(
                {
                    "name": f.name,
                    "type": f.type,
                    "choices": list(f.choices),
                    "value": _jsonable(value),
                    "text": _as_text(f, value),
                    "low": f.low,
                    "high": f.high,
                }
            )
        named = {f.name for f in fields_of(kind)} | {"id", "kind", "severity"}
        shown.append(
            {
                "id": rule["id"],
                "kind": kind,
                "severity": rule.get("severity", known.default_severity if known else "block"),
                "fields": fields,
                "other": sorted(k for k in rule if k not in named),
            }
        )
    return shown


def apply(rules: str, rule_id: str, severity: str | None, given: Mapping[str, Any]) -> str:
    """``rules`` with rule ``rule_id``'s severity and the options in ``given`` (its form's
    fields, as typed or as JSON) replaced; an option left at its default is removed."""
    rule = next((r for r in rules_shown(rules) if r["id"] == rule_id), None)
    if rule is None:
        raise ValidationFailed("no rule has the id {rule!r}", field="rule", rule=rule_id)
    edited = rules
    if severity is not None and severity != rule["severity"]:
        if severity not in SEVERITIES:
            raise ValidationFailed("severity is block or flag", field="severity")
        edited = rule_edits.set_severity(edited, rule_id, severity)
    current = tomllib.loads(rules)
    entry = next(r for r in current["rules"] if isinstance(r, dict) and r.get("id") == rule_id)
    names = {f.name for f in fields_of(rule["kind"])}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ValidationFailed(
            "{key!r} is not an option of a {kind} rule",
            field=unknown[0],
            key=unknown[0],
            kind=rule["kind"],
        )
    for f in fields_of(rule["kind"]):
        if f.name not in given:
            continue
        value = parse(f, given[f.name])
        if value == entry.get(f.name, f.default):
            continue
        stored = None if value == f.default or value in ([], {}) else value
        if stored is None and f.name not in entry:
            continue
        edited = rule_edits.set_option(edited, rule_id, f.name, stored)
    return edited


def parse(f: FormField, raw: Any) -> Any:
    """The value of field ``f`` from a form's text or a JSON value; an error names the
    field, and the line for a list."""
    if f.type == "windows" and isinstance(raw, list):
        raw = [_window_row(f, n, r) for n, r in enumerate(raw, start=1)]
    if f.type in ("lines", "domains", "dates", "windows"):
        items = _items(f, raw)
        if f.type == "lines":
            return items
        if f.type == "windows":
            return [_window(f, n, item) for n, item in enumerate(items, start=1)]
        if f.type == "domains":
            return [_domain(f, n, item) for n, item in enumerate(items, start=1)]
        return [_date(f, n, item) for n, item in enumerate(items, start=1)]
    if f.type == "limits":
        return _limits(f, raw)
    if f.type == "choices":
        picked = _items(f, raw)
        for item in picked:
            if item not in f.choices:
                raise ValidationFailed(
                    "{name}: {value!r} is not one of {choices}",
                    field=f.name,
                    name=f.name,
                    value=item,
                    choices=", ".join(f.choices),
                )
        return [c for c in f.choices if c in picked]
    if f.type == "bool":
        if isinstance(raw, bool):
            return raw
        if raw in ("on", "true", "1", "yes"):
            return True
        if raw in ("", "off", "false", "0", "no", None):
            return False
        raise ValidationFailed("{name}: true or false", field=f.name, name=f.name)
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    text = text.strip()
    if f.type == "choice":
        if text not in f.choices:
            raise ValidationFailed(
                "{name}: {value!r} is not one of {choices}",
                field=f.name,
                name=f.name,
                value=text,
                choices=", ".join(f.choices),
            )
        return text
    if f.type in ("int", "float"):
        return _number(f, raw, text)
    if f.type == "regex":
        if not text:
            raise ValidationFailed("{name}: give a regular expression", field=f.name, name=f.name)
        try:
            re.compile(text)
        except re.error as exc:
            raise ValidationFailed(
                "{name}: invalid regular expression: {detail}",
                field=f.name,
                name=f.name,
                detail=str(exc),
            ) from None
        return text
    if len(text) > 500:
        raise ValidationFailed("{name}: at most 500 characters", field=f.name, name=f.name)
    return text


def _items(f: FormField, raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        items = [line.strip() for line in raw.splitlines()]
    elif isinstance(raw, list) and all(isinstance(v, str | date) for v in raw):
        items = [str(v).strip() for v in raw]
    else:
        raise ValidationFailed("{name}: a list of texts, one a line", field=f.name, name=f.name)
    kept = list(dict.fromkeys(i for i in items if i))
    for n, item in enumerate(kept, start=1):
        if len(item) > 200:
            raise ValidationFailed(
                "{name}, line {line}: at most 200 characters", field=f.name, name=f.name, line=n
            )
    return kept


def _domain(f: FormField, line: int, item: str) -> str:
    host = item.lower().strip(".")
    host = re.sub(r"^https?://", "", host).split("/")[0]
    if not _DOMAIN.fullmatch(host):
        raise ValidationFailed(
            "{name}, line {line}: {value!r} is not a domain like example.com",
            field=f.name,
            name=f.name,
            line=line,
            value=item,
        )
    return host


def _window_row(f: FormField, line: int, row: Any) -> Any:
    """A window given as ``{"days", "start", "end"}`` (a row of the form) as its text."""
    if not isinstance(row, dict):
        return row
    parts = [str(row.get(k) or "").strip() for k in ("days", "start", "end")]
    if not any(parts):
        return ""
    if not all(parts):
        raise ValidationFailed(
            "{name}, line {line}: give the days, the start and the end",
            field=f.name,
            name=f.name,
            line=line,
        )
    return f"{parts[0]} {parts[1]}-{parts[2]}"


def window_rows(specs: list[str] | None) -> list[dict[str, str]]:
    """Each window as a row of the form: ``{"days", "start", "end"}``."""
    rows = []
    for spec in specs or []:
        days, _, hours = str(spec).partition(" ")
        start, _, end = hours.strip().partition("-")
        rows.append({"days": days, "start": start, "end": end})
    return rows


def _window(f: FormField, line: int, item: str) -> str:
    spec = " ".join(item.lower().split())
    try:
        parse_window(spec)
    except ValueError:
        raise ValidationFailed(
            '{name}, line {line}: {value!r} is not a window like "mon-fri 08:00-20:00"',
            field=f.name,
            name=f.name,
            line=line,
            value=item,
        ) from None
    return spec


def _date(f: FormField, line: int, item: str) -> date:
    try:
        return date.fromisoformat(item)
    except ValueError:
        raise ValidationFailed(
            "{name}, line {line}: {value!r} is not a date like 2026-12-25",
            field=f.name,
            name=f.name,
            line=line,
            value=item,
        ) from None


def _limits(f: FormField, raw: Any) -> dict[str, int]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        pairs = [(f"{k} = {v}", str(k), v) for k, v in raw.items()]
    elif isinstance(raw, str):
        pairs = []
        for line in (s.strip() for s in raw.splitlines()):
            if not line:
                continue
            found = _LIMIT.fullmatch(line)
            pairs.append((line, found.group(1), int(found.group(2))) if found else (line, "", -1))
    else:
        raise ValidationFailed("{name}: a whole number per platform", field=f.name, name=f.name)
    limits: dict[str, int] = {}
    for n, (line, platform, value) in enumerate(pairs, start=1):
        if platform not in PLATFORMS or type(value) is not int or value < 0:
            raise ValidationFailed(
                '{name}, line {line}: {value!r} is not like "x = 280" (platforms: {known})',
                field=f.name,
                name=f.name,
                line=n,
                value=line,
                known=", ".join(PLATFORMS),
            )
        limits[platform] = value
    return limits


def _number(f: FormField, raw: Any, text: str) -> int | float:
    try:
        if isinstance(raw, bool):
            raise ValueError
        value: int | float = int(text) if f.type == "int" else float(text.replace(",", "."))
    except ValueError:
        if f.type == "int":
            raise ValidationFailed(
                "{name}: {value!r} is not a whole number", field=f.name, name=f.name, value=text
            ) from None
        raise ValidationFailed(
            "{name}: {value!r} is not a number", field=f.name, name=f.name, value=text
        ) from None
    if not f.low <= value <= f.high:
        raise ValidationFailed(
            "{name}: between {low} and {high}",
            field=f.name,
            name=f.name,
            low=str(f.low),
            high=str(f.high),
        )
    return value


def _as_text(f: FormField, value: Any) -> str:
    if f.type in ("lines", "domains", "dates", "windows"):
        return "\n".join(str(v) for v in value or [])
    if f.type == "limits":
        return "\n".join(f"{k} = {v}" for k, v in (value or {}).items())
    if value is None:
        return ""
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
