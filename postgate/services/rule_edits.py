"""Small edits of the rules' TOML text that keep its comments and layout: the banned terms of
one rule, as the web page's term list changes them. The result is parsed again and checked
to hold exactly the terms asked for, so an edit never changes anything else unnoticed."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from datetime import date
from typing import Any

from postgate.errors import ValidationFailed
from rules import RULE_KINDS


def term_rules(rules: str) -> list[dict[str, Any]]:
    """The ``banned_terms`` rules of the organisation: ``[{"id", "terms"}]``."""
    data = tomllib.loads(rules)
    return [
        {"id": r["id"], "terms": list(r.get("terms", []))}
        for r in data.get("rules", [])
        if isinstance(r, dict) and r.get("kind") == "banned_terms"
    ]


def org_rules(rules: str) -> list[dict[str, Any]]:
    """The organisation's rules as the structured form shows them: ``{"id", "kind",
    "severity", "lists"}``, ``lists`` holding each option that is a list of strings."""
    shown = []
    for rule in tomllib.loads(rules).get("rules", []):
        if not isinstance(rule, dict) or "id" not in rule:
            continue
        kind = RULE_KINDS.get(rule.get("kind", ""))
        lists = {
            key: [str(v) for v in value]
            for key, value in rule.items()
            if isinstance(value, list) and all(isinstance(v, str) for v in value)
        }
        default = kind.default_severity if kind else "block"
        shown.append(
            {
                "id": rule["id"],
                "kind": rule.get("kind", ""),
                "severity": rule.get("severity", default),
                "lists": lists,
            }
        )
    return shown


def set_terms(rules: str, rule_id: str, terms: list[str]) -> str:
    """``rules`` with the ``terms`` list of rule ``rule_id`` replaced (added when absent)."""
    return set_list(rules, rule_id, "terms", terms)


def set_list(rules: str, rule_id: str, key: str, values: list[str]) -> str:
    """``rules`` with the list option ``key`` of rule ``rule_id`` replaced (added when
    absent), one value a line; the rest of the text is kept as it was."""
    if not re.fullmatch(r"[a-z_]+", key):
        raise ValidationFailed("{key!r} is not an option name", field="key", key=key)
    start = _block_start(rules, rule_id)
    end = _block_end(rules, start)
    block = rules[start:end]
    listed = f"{key} = [\n" + "".join(f"    {json.dumps(v, ensure_ascii=False)},\n" for v in values)
    listed += "]"
    found = re.search(rf"^{key}\s*=\s*\[", block, re.MULTILINE)
    if found:
        close = _array_end(block, found.end())
        block = block[: found.start()] + listed + block[close:]
    else:
        block = block.rstrip("\n") + "\n" + listed + "\n"
        if end < len(rules):
            block += "\n"
    return _checked(rules[:start] + block + rules[end:], rule_id, key, values)


def set_severity(rules: str, rule_id: str, severity: str) -> str:
    """``rules`` with rule ``rule_id``'s severity set (the line added when absent)."""
    if severity not in ("block", "flag"):
        raise ValidationFailed("severity is block or flag", field="severity")
    start = _block_start(rules, rule_id)
    end = _block_end(rules, start)
    block = rules[start:end]
    line = f'severity = "{severity}"'
    found = re.search(r"^severity\s*=.*$", block, re.MULTILINE)
    if found:
        block = block[: found.start()] + line + block[found.end() :]
    else:
        kind = re.search(r"^kind\s*=.*$", block, re.MULTILINE)
        at = kind.end() if kind else block.index("\n")
        block = block[:at] + "\n" + line + block[at:]
    return _checked(rules[:start] + block + rules[end:], rule_id, "severity", severity)


def _checked(edited: str, rule_id: str, key: str, value: Any) -> str:
    try:
        data = tomllib.loads(edited)
    except tomllib.TOMLDecodeError:
        data = {}
    rule: dict[str, Any] = next((r for r in data.get("rules", []) if r.get("id") == rule_id), {})
    if rule.get(key) != value:
        raise ValidationFailed(
            "the option {key!r} of {rule!r} could not be edited", field=key, key=key, rule=rule_id
        )
    return edited


def _block_start(rules: str, rule_id: str) -> int:
    header = r"^\[\[rules\]\][ \t]*\n(?:[^\[\n].*\n|[ \t]*\n)*?"  # no other table in between
    pattern = header + r"[ \t]*id\s*=\s*[\"']" + re.escape(rule_id)
    found = re.search(pattern + r"[\"']", rules, re.MULTILINE)
    if not found:
        raise ValidationFailed("no rule has the id {rule!r}", field="rule", rule=rule_id)
    return found.start()


def _block_end(rules: str, start: int) -> int:
    following = re.compile(r"^\s*\[", re.MULTILINE)
    position = rules.index("\n", start) + 1
    while True:
        found = following.search(rules, position)
        if found is None:
            return len(rules)
        if not _inside_array(rules[start : found.start()]):
            return found.start()
        position = found.end()


def _brackets(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """``(index, +1 or -1)`` for each bracket of ``text`` from ``start``, outside strings
    and comments."""
    quote, comment = "", False
    for i in range(start, len(text)):
        ch = text[i]
        if comment:
            comment = ch != "\n"
        elif quote:
            if ch == quote and (quote == "'" or text[i - 1] != "\\"):
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[]":
            yield i, 1 if ch == "[" else -1


def _inside_array(text: str) -> bool:
    """Whether ``text`` ends inside an open array."""
    return sum(step for _, step in _brackets(text)) > 0


def _array_end(block: str, position: int) -> int:
    """The index just after the ``]`` closing the array opened before ``position``."""
    depth = 1
    for i, step in _brackets(block, position):
        depth += step
        if depth == 0:
            return i + 1
    raise ValidationFailed("the terms list is not closed", field="terms")


def set_option(rules: str, rule_id: str, key: str, value: Any) -> str:
    """``rules`` with option ``key`` of rule ``rule_id`` set to ``value`` (a string, number,
    boolean, date, list of those or table of numbers), or removed when ``value`` is None;
    the rest of the text is kept as it was."""
    if not re.fullmatch(r"[a-z_]+", key):
        raise ValidationFailed("{key!r} is not an option name", field="key", key=key)
    start = _block_start(rules, rule_id)
    end = _block_end(rules, start)
    block = rules[start:end]
    found = re.search(rf"^{key}\s*=\s*", block, re.MULTILINE)
    line = None if value is None else f"{key} = {_toml(value)}"
    if found:
        after = found.end()
        if block.startswith("[", after):
            close = _array_end(block, after + 1)
        else:
            newline = block.find("\n", after)
            close = len(block) if newline < 0 else newline
        if line is None:
            close = close + 1 if block.startswith("\n", close) else close
            block = block[: found.start()] + block[close:]
        else:
            block = block[: found.start()] + line + block[close:]
    elif line is not None:
        block = block.rstrip("\n") + "\n" + line + "\n"
        if end < len(rules):
            block += "\n"
    return _checked(rules[:start] + block + rules[end:], rule_id, key, value)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[\n" + "".join(f"    {_toml(v)},\n" for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise ValidationFailed("{key!r} cannot hold this value", field="value", key=str(value))
