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
from .errors import Place, RuleConfigError
from .options import Options
from .registry import RULE_KINDS
from .ruleset import RuleSet
from .syntax import toml_error

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
    where: Place


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

    def line_of(self, pattern: str) -> Place:
        match = re.search(pattern, self.source, re.MULTILINE)
        if not match:
            return Place(str(self.path))
        return Place(str(self.path), line=self.source.count(chr(10), 0, match.start()) + 1)

    def spec(self, entry: Any, label: str) -> _Spec:
        if not isinstance(entry, dict):
            raise RuleConfigError(
                "a rule must be a table with id and kind", where=Place(str(self.path), entry=label)
            )
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise RuleConfigError(
                "key 'id' is missing or empty", where=Place(str(self.path), entry=label)
            )
        pattern = r"^\s*id\s*=\s*[\"']" + re.escape(rule_id) + r"[\"']"
        where = self.line_of(pattern).at(rule=rule_id)
        kind = entry.get("kind")
        if kind not in RULE_KINDS:
            raise RuleConfigError(
                "unknown kind {kind!r} (known: {known})",
                where=where.at(key="kind"),
                kind=kind,
                known=", ".join(RULE_KINDS),
            )
        severity = entry.get("severity", RULE_KINDS[kind].default_severity)
        if severity not in SEVERITIES:
            raise RuleConfigError(
                "must be block or flag, not {severity!r}",
                where=where.at(key="severity"),
                severity=severity,
            )
        options = {k: v for k, v in entry.items() if k not in _ENTRY_KEYS}
        return _Spec(rule_id, kind, severity, options, where)

    def specs(self, entries: Any, label: str) -> list[_Spec]:
        if not isinstance(entries, list):
            raise RuleConfigError(
                "expected [[{label}]] entries",
                where=Place(str(self.path), entry=label),
                label=label,
            )
        specs = [self.spec(entry, f"{label}[{i}]") for i, entry in enumerate(entries)]
        seen: set[str] = set()
        for spec in specs:
            if spec.id in seen:
                raise RuleConfigError("the id is used by another rule", where=spec.where)
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
        where = self.line_of(pattern).at(account=name)
        if not isinstance(table, dict):
            raise RuleConfigError("expected a table", where=where)
        for key in table:
            if key not in _ACCOUNT_KEYS:
                raise RuleConfigError(
                    "unknown key (use disable, override, rules)", where=where.at(key=key)
                )
        ids = {spec.id for spec in org}
        disabled = table.get("disable", [])
        overrides = table.get("override", {})
        if not isinstance(disabled, list) or not isinstance(overrides, dict):
            raise RuleConfigError(
                "'disable' is a list of rule ids, 'override' a table", where=where
            )
        for rule_id in [*disabled, *overrides]:
            if rule_id not in ids:
                raise RuleConfigError(
                    "no organisation rule has the id {id!r}", where=where, id=rule_id
                )
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
                raise RuleConfigError("the id is already an organisation rule", where=spec.where)
            rules.append(self.build(spec))
        return tuple(rules)


def _override(spec: _Spec, changes: Any, where: Place) -> _Spec:
    """The org rule with an account's changes: `key = value` replaces, `add_key = [...]` extends."""
    at = where.at(override=spec.id)
    if not isinstance(changes, dict):
        raise RuleConfigError("expected a table", where=at)
    options = copy.deepcopy(spec.options)
    severity = changes.get("severity", spec.severity)
    if severity not in SEVERITIES:
        raise RuleConfigError(
            "must be block or flag, not {severity!r}",
            where=at.at(key="severity"),
            severity=severity,
        )
    for key, value in changes.items():
        if key in ("id", "kind"):
            raise RuleConfigError("cannot be changed per account", where=at.at(key=key))
        if key.startswith("add_"):
            base = key.removeprefix("add_")
            current = options.get(base, [])
            if not isinstance(current, list) or not isinstance(value, list):
                raise RuleConfigError("only lists can be extended", where=at.at(key=key))
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
        raise RuleConfigError(
            "cannot read the rules: {reason}", where=Place(str(path)), reason=str(exc)
        ) from None
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
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleConfigError(
            "cannot read the rules: {reason}", where=Place(str(path)), reason=str(exc)
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(str(exc), text, str(path)) from None
    for key in data:
        if key not in _TOP_KEYS:
            raise RuleConfigError("unknown top-level key {key!r}", where=Place(str(path)), key=key)
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
        raise RuleConfigError("'accounts' must be a table of accounts", where=Place(str(path)))
    per_account = {
        name: loader.account(name, table, org, built) for name, table in sorted(accounts.items())
    }
    sources = loader.paths if base is None else loader.paths[1:]  # no file for stored rules
    return RuleSet(_version(loader.files), tuple(built.values()), per_account, tuple(sources))
