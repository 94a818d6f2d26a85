"""The one exception of the rule engine: a configuration it cannot use.

Kept apart from the value types (:mod:`rules.base`) so that everything reading the
configuration (options, catalogue, loader) can raise it without depending on the rules.

Like a finding, the error is a ``template`` with named ``{fields}`` and its ``params``, and
a ``where`` (a :class:`Place`: file, line, rule, key or column) kept apart: ``str(error)``
is the English record (``rules.toml line 7, rule "x", key 'pattern': ...``), and the web
layer shows the same error in the reader's language (``gateway.i18n.config_error_text``).
Each template is a literal first argument of ``RuleConfigError`` or of ``Options.error``
(extracted into the catalogue by ``babel.cfg``); words never travel as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Place:
    """Where in the configuration: the file, then as much as is known of line (and the
    character in it, ``char``, counted from 1, where a parser says), entry, rule, account,
    override, key and column (of the catalogue: its name)."""

    file: str
    line: int | None = None
    char: int | None = None
    entry: str | None = None  # e.g. rules[2], when the entry has no usable id
    rule: str | None = None
    account: str | None = None
    override: str | None = None
    key: str | None = None
    column: str | None = None

    def at(self, **changes: Any) -> Place:
        return replace(self, **changes)

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f" line {self.line}"
        if self.char is not None:
            text += f", column {self.char}"
        if self.entry is not None:
            text += f", {self.entry}"
        if self.rule is not None:
            text += f', rule "{self.rule}"'
        if self.account is not None:
            text += f', account "{self.account}"'
        if self.override is not None:
            text += f", override {self.override!r}"
        if self.key is not None:
            text += f", key {self.key!r}"
        if self.column is not None:
            text += f", column {self.column!r}"
        return text


class RuleConfigError(ValueError):
    """Bad rule configuration; the message names the file, line or key at fault."""

    def __init__(self, template: str, *, where: Place | None = None, **params: Any) -> None:
        detail = template.format(**params) if params else template
        message = f"{where}: {detail}" if where is not None else detail
        super().__init__(message)
        self.template = template
        self.params = dict(params)
        self.where = where
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.template, self.where, self.params))


def _rebuild(template: str, where: Place | None, params: dict[str, Any]) -> RuleConfigError:
    return RuleConfigError(template, where=where, **params)
