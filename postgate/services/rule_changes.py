"""Whether a change of the rules or the catalogue loosens protection.

A change loosens when it removes a banned term (or any entry of a list where more entries
catch more), adds to an allow list, removes or disables a rule, lowers a severity from
``block`` to ``flag``, or deletes a product or changes any of its cells (price, promotion,
names); also when it widens the posting windows, raises a platform limit or a similarity
threshold, lowers a distance, lowers the severity of unlisted links, or turns
case-insensitive or part-word matching off. Anything this module cannot tell apart counts
as loosening: a second person looks at it rather than nobody. Adding terms, rules and
products, or raising a severity, tightens and takes effect at once.
"""

from __future__ import annotations

import csv
import io
import tomllib
from typing import Any

from rules import RULE_KINDS
from rules.windows import DAYS, parse_window

# Options where more entries catch more; removing one loosens, adding one tightens.
CATCH_MORE = frozenset({"terms", "block", "types", "blackout_dates"})
# Options where more entries let more through; adding one loosens.
LET_THROUGH = frozenset({"allow", "allow_email_domains"})
# Numbers, with their defaults, where a higher value lets more through (a higher
# similarity needed to flag a duplicate) or a lower one does (a price further from its
# product is no longer read as its price).
HIGHER_LOOSENS = {"threshold": 0.9}
LOWER_LOOSENS = {"distance": 60}
# A whole number per platform where a higher one lets more through (a longer post, more
# images); an entry removed falls back to the platform's default, which counts as loosening.
LIMITS = frozenset({"max_length", "max_media"})
# Switches, with their defaults, and the value that lets more through.
SWITCH_DEFAULTS = {"ignore_case": True, "whole_words": True}
SWITCH_LOOSENS = {"ignore_case": False, "whole_words": True}
# Options that change what a finding says, not what it catches.
WORDING = frozenset({"message"})


def loosening(
    old_rules: str, new_rules: str, old_catalog: str | None, new_catalog: str | None
) -> list[str]:
    """How ``new`` loosens ``old``, one sentence each; empty when it only tightens.

    Both versions have been validated already."""
    reasons = _rules(tomllib.loads(old_rules), tomllib.loads(new_rules))
    return reasons + _catalog(old_catalog, new_catalog)


def _by_id(entries: Any) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in entries or [] if isinstance(e, dict) and "id" in e}


def _severity(entry: dict[str, Any]) -> str:
    kind = RULE_KINDS.get(entry.get("kind", ""))
    return entry.get("severity", kind.default_severity if kind else "block")


def _rule(rule_id: str, old: dict[str, Any], new: dict[str, Any] | None) -> list[str]:
    if new is None:
        return [f'rule "{rule_id}" removed']
    if old.get("kind") != new.get("kind"):
        return [f'rule "{rule_id}" changed kind']
    reasons = []
    if _severity(old) == "block" and _severity(new) == "flag":
        reasons.append(f'rule "{rule_id}" lowered from block to flag')
    for key in sorted((set(old) | set(new)) - {"id", "kind", "severity"}):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in CATCH_MORE | LET_THROUGH and _lists(before, after):
            gone = [v for v in before or [] if v not in (after or [])]
            came = [v for v in after or [] if v not in (before or [])]
            shown = gone if key in CATCH_MORE else came
            if shown:
                verb = "removed from" if key in CATCH_MORE else "added to"
                listed = ", ".join(str(v) for v in shown)
                reasons.append(f'rule "{rule_id}": {listed} {verb} {key}')
            continue
        reasons += _option(rule_id, key, before, after)
    return reasons


def _option(rule_id: str, key: str, before: Any, after: Any) -> list[str]:
    """How changing one option (not a list of entries) loosens the rule; conservative."""
    if key in WORDING and isinstance(after, str | None):
        return []
    if key == "windows" and _lists(before, after):
        widened = _widened(before or [], after or [])
        if widened is None:
            return []
        return [f'rule "{rule_id}": posting windows widened ({widened} now allowed)']
    if key == "unlisted_severity":
        if (before or "flag") == "block" and (after or "flag") != "block":
            return [f'rule "{rule_id}": unlisted_severity lowered from block to flag']
        return []
    if key in HIGHER_LOOSENS or key in LOWER_LOOSENS:
        default = HIGHER_LOOSENS.get(key, LOWER_LOOSENS.get(key))
        old, new = _num(before, default), _num(after, default)
        if old is not None and new is not None:
            loosens = new > old if key in HIGHER_LOOSENS else new < old
            verb = "raised" if new > old else "lowered"
            return [f'rule "{rule_id}": {key} {verb} from {old} to {new}'] if loosens else []
    if key in SWITCH_LOOSENS and isinstance(after, bool | None):
        default, loose = SWITCH_DEFAULTS[key], SWITCH_LOOSENS[key]
        old_on = before if isinstance(before, bool) else default
        new_on = after if isinstance(after, bool) else default
        if old_on != new_on and new_on == loose:
            return [f'rule "{rule_id}": {key} turned {"on" if new_on else "off"}']
        return []
    if key in LIMITS and _tables(before, after):
        reasons = []
        old_t, new_t = before or {}, after or {}
        for platform in sorted(set(old_t) | set(new_t)):
            b, a = old_t.get(platform), new_t.get(platform)
            if b == a:
                continue
            if a is None:
                reasons.append(f'rule "{rule_id}": {key} for {platform} back to its default')
            elif b is None:
                reasons.append(f'rule "{rule_id}": {key} for {platform} set to {a}')
            elif a > b:
                reasons.append(f'rule "{rule_id}": {key} for {platform} raised from {b} to {a}')
        return reasons
    return [f'rule "{rule_id}": {key} changed']


def _open_minutes(specs: list[Any]) -> set[int] | None:
    """The minutes of the week the windows allow (None: no window, any time)."""
    if not specs:
        return None
    allowed: set[int] = set()
    for spec in specs:
        window = parse_window(str(spec))
        first = window.start.hour * 60 + window.start.minute
        last = 1440 if window.end is None else window.end.hour * 60 + window.end.minute
        for day in window.days:
            allowed.update(range(day * 1440 + first, day * 1440 + last))
    return allowed


def widened_windows(before: list[Any], after: list[Any]) -> str | None:
    """The first moment of the week the windows ``after`` allow and ``before`` did not, as
    ``mon 20:00``; None when ``after`` allows nothing more (an account's windows use it)."""
    return _widened(before, after)


def _widened(before: list[Any], after: list[Any]) -> str | None:
    """The first moment of the week ``after`` allows and ``before`` did not, as
    ``mon 20:00``; None when ``after`` allows nothing more."""
    try:
        old, new = _open_minutes(before), _open_minutes(after)
    except ValueError:
        return "an unreadable window"
    if old is None:
        return None
    more = sorted(set(range(7 * 1440)) - old) if new is None else sorted(new - old)
    if not more:
        return None
    day, minute = divmod(more[0], 1440)
    return f"{DAYS[day]} {minute // 60:02d}:{minute % 60:02d}"


def _num(value: Any, default: float | None) -> float | None:
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _tables(*values: Any) -> bool:
    return all(
        v is None or (isinstance(v, dict) and all(isinstance(x, int) for x in v.values()))
        for v in values
    )


def _lists(*values: Any) -> bool:
    return all(v is None or isinstance(v, list) for v in values)


def _rules(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    new_rules = _by_id(new.get("rules"))
    for rule_id, entry in _by_id(old.get("rules")).items():
        reasons += _rule(rule_id, entry, new_rules.get(rule_id))
    old_accounts, new_accounts = old.get("accounts", {}), new.get("accounts", {})
    for name in sorted(set(old_accounts) | set(new_accounts)):
        before, after = old_accounts.get(name, {}), new_accounts.get(name, {})
        for rule_id in after.get("disable", []):
            if rule_id not in before.get("disable", []):
                reasons.append(f'rule "{rule_id}" disabled for account "{name}"')
        if before.get("override", {}) != after.get("override", {}):
            reasons.append(f'overrides of account "{name}" changed')
        after_rules = _by_id(after.get("rules"))
        for rule_id, entry in _by_id(before.get("rules")).items():
            reasons += [
                f'account "{name}": {r}' for r in _rule(rule_id, entry, after_rules.get(rule_id))
            ]
    return reasons


def _products(text: str | None) -> dict[str, dict[str, str]]:
    if not text:
        return {}
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return {
        (row.get("sku") or "").strip(): {k: (v or "").strip() for k, v in row.items() if k}
        for row in rows
    }


def _catalog(old: str | None, new: str | None) -> list[str]:
    before, after = _products(old), _products(new)
    reasons = []
    for sku, row in before.items():
        if sku not in after:
            reasons.append(f'product "{sku}" deleted')
            continue
        changed = [col for col in row if row[col] != after[sku].get(col, "")]
        if changed:
            reasons.append(f'product "{sku}": {", ".join(changed)} changed')
    return reasons
