"""Whether a change of the rules or the catalogue loosens protection.

A change loosens when it removes a banned term (or any entry of a list where more entries
catch more), adds to an allow list, removes or disables a rule, lowers a severity from
``block`` to ``flag``, or deletes a product or changes any of its cells (price, promotion,
names). Anything this module cannot tell apart counts as loosening: a second person looks
at it rather than nobody. Adding terms, rules and products, or raising a severity, tightens
and takes effect at once.
"""

from __future__ import annotations

import csv
import io
import tomllib
from typing import Any

from rules import RULE_KINDS

# Options where more entries catch more; removing one loosens, adding one tightens.
CATCH_MORE = frozenset({"terms", "block", "types", "blackout_dates"})
# Options where more entries let more through; adding one loosens.
LET_THROUGH = frozenset({"allow", "allow_email_domains"})


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
        reasons.append(f'rule "{rule_id}": {key} changed')
    return reasons


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
