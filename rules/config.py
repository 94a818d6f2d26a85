"""Load `rules.toml` (and the catalogue) into a `RuleSet`.

All validation happens here, once, so a bad edit fails `load_ruleset` with a
message naming the file, line and key instead of surfacing mid-review. The
version is a hash of every file read, so it changes whenever a rule does.
"""

from __future__ import annotations

import copy
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import SEVERITIES, Rule
from .catalog import Catalog, load_catalog, parse_catalog
from .errors import RuleConfigError
from .options import Options
from .registry import RULE_KINDS
from .ruleset import RuleSet

_TOP_KEYS = {"catalog", "rules", "accounts"}
_ACCOUNT_KEYS = {"disable", "override", "rules"}
_ENTRY_KEYS = {"id", "kind", "severity"}


@dataclass
class _Spec:
    """One rule entry before it is built: shared by the org and the accounts it applies to."""

    id: str
    kind: str
    severity: str
    options: dict[str, Any]
    where: str


class _Loader:
    def __init__(
        self, path: Path, source: str, catalog: Catalog | None, base: Path | None = None
    ) -> None:
        self.path = path
        self.base = path.parent if base is None else base
        self.confined = base is not None  # rules from the store: no server path in or out
        self.source = source
        self.catalog = catalog
        self.files: list[bytes] = []
        self.paths: list[Path] = [path]

    def line_of(self, pattern: str) -> str:
        match = re.search(pattern, self.source, re.MULTILINE)
        if not match:
            return f"{self.path}"
        return f"{self.path} line {self.source.count(chr(10), 0, match.start()) + 1}"

    def spec(self, entry: Any, label: str) -> _Spec:
        if not isinstance(entry, dict):
            raise RuleConfigError(f"{self.path}, {label}: a rule must be a table with id and kind")
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise RuleConfigError(f"{self.path}, {label}: key 'id' is missing or empty")
        pattern = r"^\s*id\s*=\s*[\"']" + re.escape(rule_id) + r"[\"']"
        where = f'{self.line_of(pattern)}, rule "{rule_id}"'
        kind = entry.get("kind")
        if kind not in RULE_KINDS:
            raise RuleConfigError(
                f"{where}, key 'kind': unknown kind {kind!r} (known: {', '.join(RULE_KINDS)})"
            )
        severity = entry.get("severity", RULE_KINDS[kind].default_severity)
        if severity not in SEVERITIES:
            raise RuleConfigError(
                f"{where}, key 'severity': must be block or flag, not {severity!r}"
            )
        options = {k: v for k, v in entry.items() if k not in _ENTRY_KEYS}
        return _Spec(rule_id, kind, severity, options, where)

    def specs(self, entries: Any, label: str) -> list[_Spec]:
        if not isinstance(entries, list):
            raise RuleConfigError(f"{self.path}, {label}: expected [[{label}]] entries")
        specs = [self.spec(entry, f"{label}[{i}]") for i, entry in enumerate(entries)]
        seen: set[str] = set()
        for spec in specs:
            if spec.id in seen:
                raise RuleConfigError(f"{spec.where}: the id is used by another rule")
            seen.add(spec.id)
        return specs

    def build(self, spec: _Spec) -> Rule:
        opts = Options(
            copy.deepcopy(spec.options),
            spec.where,
            self.base,
            self.catalog,
            self.files,
            self.paths,
            confined=self.confined,
        )
        rule = RULE_KINDS[spec.kind].from_config(spec.id, spec.severity, opts)
        opts.finish()
        return rule

    def account(self, name: str, table: Any, org: list[_Spec], built: dict[str, Rule]) -> tuple:
        pattern = r"^\s*\[+\s*accounts\.\"?" + re.escape(name) + r"\b"
        where = f'{self.line_of(pattern)}, account "{name}"'
        if not isinstance(table, dict):
            raise RuleConfigError(f"{where}: expected a table")
        for key in table:
            if key not in _ACCOUNT_KEYS:
                raise RuleConfigError(
                    f"{where}, key {key!r}: unknown (use disable, override, rules)"
                )
        ids = {spec.id for spec in org}
        disabled = table.get("disable", [])
        overrides = table.get("override", {})
        if not isinstance(disabled, list) or not isinstance(overrides, dict):
            raise RuleConfigError(f"{where}: 'disable' is a list of rule ids, 'override' a table")
        for rule_id in [*disabled, *overrides]:
            if rule_id not in ids:
                raise RuleConfigError(f"{where}: no organisation rule has the id {rule_id!r}")
        rules = []
        for spec in org:
            if spec.id in disabled:
                continue
            if spec.id in overrides:
                rules.append(self.build(_override(spec, overrides[spec.id], where)))
            else:
                rules.append(built[spec.id])
        extra = self.specs(table.get("rules", []), f'accounts."{name}".rules')
        for spec in extra:
            if spec.id in ids:
                raise RuleConfigError(f"{spec.where}: the id is already an organisation rule")
            rules.append(self.build(spec))
        return tuple(rules)


def _override(spec: _Spec, changes: Any, where: str) -> _Spec:
    """The org rule with an account's changes: `key = value` replaces, `add_key = [...]` extends."""
    at = f"{where}, override {spec.id!r}"
    if not isinstance(changes, dict):
        raise RuleConfigError(f"{at}: expected a table")
    options = copy.deepcopy(spec.options)
    severity = changes.get("severity", spec.severity)
    if severity not in SEVERITIES:
        raise RuleConfigError(f"{at}, key 'severity': must be block or flag, not {severity!r}")
    for key, value in changes.items():
        if key in ("id", "kind"):
            raise RuleConfigError(f"{at}, key {key!r}: cannot be changed per account")
        if key.startswith("add_"):
            base = key.removeprefix("add_")
            current = options.get(base, [])
            if not isinstance(current, list) or not isinstance(value, list):
                raise RuleConfigError(f"{at}, key {key!r}: only lists can be extended")
            options[base] = current + value
        elif key != "severity":
            options[key] = value
    return _Spec(spec.id, spec.kind, severity, options, at)


def _version(files: list[bytes]) -> str:
    digest = hashlib.sha256()
    for content in files:
        digest.update(len(content).to_bytes(8, "big"))
        digest.update(content)
    return "r-" + digest.hexdigest()[:12]


def load_ruleset(rules_path: str | Path, catalog_path: str | Path | None = None) -> RuleSet:
    """Read and validate the rules (and catalogue); raises `RuleConfigError`.

    Without `catalog_path`, the `catalog` key of the rules file (relative to it)
    names the catalogue, if any.
    """
    path = Path(rules_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleConfigError(f"{path}: cannot read the rules: {exc}") from None
    data = _parse(path, raw)
    if catalog_path is None and isinstance(data.get("catalog"), str):
        catalog_path = path.parent / data["catalog"]
    catalog = load_catalog(catalog_path) if catalog_path is not None else None
    return _ruleset(path, raw, data, catalog, Path(catalog_path) if catalog_path else None)


def parse_ruleset(rules: bytes, catalog: bytes | None, *, base: str | Path = ".") -> RuleSet:
    """Validate rules and catalogue given as their text (as the store keeps them); raises
    `RuleConfigError` naming ``rules.toml`` or ``catalog.csv``, the line and the key or column.

    A ``terms_file`` is read relative to the folder ``base``; the ``catalog`` key is ignored
    (the catalogue is ``catalog``).
    """
    path = Path("rules.toml")
    data = _parse(path, rules)
    parsed = parse_catalog(catalog, "catalog.csv") if catalog is not None else None
    return _ruleset(path, rules, data, parsed, None, Path(base))


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuleConfigError(f"{path}: cannot read the rules: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleConfigError(f"{path}: not valid TOML: {exc}") from None
    for key in data:
        if key not in _TOP_KEYS:
            raise RuleConfigError(f"{path}: unknown top-level key {key!r}")
    return data


def _ruleset(
    path: Path,
    raw: bytes,
    data: dict[str, Any],
    catalog: Catalog | None,
    catalog_path: Path | None,
    base: Path | None = None,
) -> RuleSet:
    loader = _Loader(path, raw.decode("utf-8"), catalog, base)
    loader.files.append(raw)
    if catalog is not None:
        loader.files.append(catalog.content)
        if catalog_path is not None:
            loader.paths.append(catalog_path)
    org = loader.specs(data.get("rules", []), "rules")
    built = {spec.id: loader.build(spec) for spec in org}
    accounts = data.get("accounts", {})
    if not isinstance(accounts, dict):
        raise RuleConfigError(f"{path}: 'accounts' must be a table of accounts")
    per_account = {
        name: loader.account(name, table, org, built) for name, table in sorted(accounts.items())
    }
    sources = loader.paths if base is None else loader.paths[1:]  # no file for stored rules
    return RuleSet(_version(loader.files), tuple(built.values()), per_account, tuple(sources))
