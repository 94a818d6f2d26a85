"""Small edits of the rules' TOML text that keep its comments and layout: the banned terms of
one rule, as the web page's term list changes them. The result is parsed again and checked
to hold exactly the terms asked for, so an edit never changes anything else unnoticed."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

from postgate.errors import ValidationFailed


def term_rules(rules: str) -> list[dict[str, Any]]:
    """The ``banned_terms`` rules of the organisation: ``[{"id", "terms"}]``."""
    data = tomllib.loads(rules)
    return [
        {"id": r["id"], "terms": list(r.get("terms", []))}
        for r in data.get("rules", [])
        if isinstance(r, dict) and r.get("kind") == "banned_terms"
    ]


def set_terms(rules: str, rule_id: str, terms: list[str]) -> str:
    """``rules`` with the ``terms`` list of rule ``rule_id`` replaced (added when absent)."""
    start = _block_start(rules, rule_id)
    end = _block_end(rules, start)
    block = rules[start:end]
    listed = "terms = [\n" + "".join(f"    {json.dumps(t, ensure_ascii=False)},\n" for t in terms)
    listed += "]"
    found = re.search(r"^terms\s*=\s*\[", block, re.MULTILINE)
    if found:
        close = _array_end(block, found.end())
        block = block[: found.start()] + listed + block[close:]
    else:
        block = block.rstrip("\n") + "\n" + listed + "\n"
        if end < len(rules):
            block += "\n"
    edited = rules[:start] + block + rules[end:]
    if next((r["terms"] for r in term_rules(edited) if r["id"] == rule_id), None) != terms:
        raise ValidationFailed(
            "the terms of {rule!r} could not be edited", field="terms", rule=rule_id
        )
    return edited


def _block_start(rules: str, rule_id: str) -> int:
    pattern = r"^\[\[rules\]\]\s*\n(?:[^\[].*\n|\s*\n)*?\s*id\s*=\s*[\"']" + re.escape(rule_id)
    found = re.search(pattern + r"[\"']", rules, re.MULTILINE)
    if not found:
        raise ValidationFailed(
            "no banned-terms rule has the id {rule!r}", field="rule", rule=rule_id
        )
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
