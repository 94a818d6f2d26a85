"""Typed access to one rule entry of the configuration, with errors that say where.

A newcomer editing `rules.toml` will misspell an option or put a string where a
list belongs; every getter here turns that into a `RuleConfigError` naming the
file, line, rule and key, and `finish()` rejects options nobody read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import Place, RuleConfigError


@dataclass
class Options:
    """The kind-specific keys of one rule entry and where the entry came from."""

    values: dict[str, Any]
    where: Place  # e.g. config/rules.toml line 12, rule "banned-terms"
    base_dir: Path
    catalog: Any = None  # the loaded product catalogue, when one was given
    files: list[bytes] = field(default_factory=list)  # contents read, for the version hash
    paths: list[Path] = field(default_factory=list)  # files read, to notice when one changes
    confined: bool = False  # stored rules: a file named must sit in base_dir, shown by name
    _used: set[str] = field(default_factory=set)

    def error(self, key: str | None, template: str, **params: Any) -> RuleConfigError:
        """The error at this entry (and ``key``): ``template`` is a literal English sentence
        with named ``{fields}``, extracted into the catalogue (see `rules.errors`)."""
        at = self.where.at(key=key) if key else self.where
        return RuleConfigError(template, where=at, **params)

    def _get(self, key: str, default: Any) -> Any:
        self._used.add(key)
        return self.values.get(key, default)

    def _typed(self, key: str, default: Any, check: Callable[[Any], bool], wrong: str) -> Any:
        """The value of ``key``; ``wrong`` is the error's template when ``check`` refuses it."""
        value = self._get(key, default)
        if value is not default and not check(value):
            raise self.error(key, wrong, value=value)
        return value

    def string(self, key: str, default: str | None = None) -> str | None:
        return self._typed(
            key, default, lambda v: isinstance(v, str), "expected a string, got {value!r}"
        )

    def boolean(self, key: str, default: bool) -> bool:
        return self._typed(
            key, default, lambda v: isinstance(v, bool), "expected true or false, got {value!r}"
        )

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self._typed(
            key,
            default,
            lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "expected a number, got {value!r}",
        )
        if not low <= value <= high:
            raise self.error(
                key,
                "must be between {low} and {high}, got {value}",
                low=low,
                high=high,
                value=value,
            )
        return value

    def strings(self, key: str) -> list[str]:
        return self._typed(
            key,
            [],
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "expected a list of strings, got {value!r}",
        )

    def int_table(self, key: str) -> dict[str, int]:
        return self._typed(
            key,
            {},
            lambda v: isinstance(v, dict) and all(type(x) is int and x >= 0 for x in v.values()),
            "expected a table of whole numbers, like {{ x = 280 }}, got {value!r}",
        )

    def dates(self, key: str) -> list[date]:
        result = []
        for item in self._typed(
            key, [], lambda v: isinstance(v, list), "expected a list of dates, got {value!r}"
        ):
            if isinstance(item, date):
                result.append(item)
                continue
            try:
                result.append(date.fromisoformat(str(item)))
            except ValueError:
                raise self.error(
                    key, "{value!r} is not a date like 2025-12-25", value=item
                ) from None
        return result

    def read_lines(self, key: str) -> list[tuple[int, str]]:
        """(line number, text) of each non-blank, non-comment line of the file named by `key`."""
        name = self.string(key)
        if name is None:
            return []
        path = self.base_dir / name
        if self.confined and (Path(name).name != name or name.startswith(".")):
            raise self.error(
                key, "{name!r}: name a file next to the rules file, no folder", name=name
            )
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            shown = name if self.confined else path
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            reason = reason if self.confined else str(exc)
            raise self.error(
                key, "cannot read {name}: {reason}", name=str(shown), reason=reason
            ) from None
        self.files.append(raw)
        self.paths.append(path)
        lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append((number, line))
        return lines

    def finish(self) -> None:
        """Reject keys no getter asked for: almost always a typo."""
        unknown = sorted(set(self.values) - self._used)
        if unknown:
            raise self.error(unknown[0], "unknown option for this kind of rule")
