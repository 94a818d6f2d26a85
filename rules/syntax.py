"""The TOML parser's and the CSV reader's own errors as :class:`RuleConfigError` templates.

``tomllib`` and ``csv`` say what went wrong in English, with the place glued to the text
(``Expected '=' after a key in a key/value pair (at line 3, column 5)``). Shown as is, that
English would sit inside a French page. Here each kind of message they make is matched to a
template that repeats its English words (the record, ``str(error)``, still reads as the
parser wrote it) and its variable parts become parameters; the line and column go to the
error's :class:`Place`. A message of a kind not listed keeps its English as the ``reason``
of the general template (quoted, in a translated sentence).

The kinds are those of CPython 3.11 to 3.13's ``tomllib._parser`` and ``_csv.c`` in the
(non-strict) dialect the catalogue is read with.
"""

from __future__ import annotations

import ast
import re

from .errors import Place, RuleConfigError

_AT = re.compile(
    r"(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)", re.S
)


def _kind(pattern: str, template: str) -> tuple[re.Pattern[str], str]:
    """A kind of parser message (a regular expression whose groups are the template's
    parameters) and its template (extracted for translation: ``babel.cfg``)."""
    return re.compile(pattern, re.S), template


TOML_KINDS = (
    _kind(r"Invalid statement", "not valid TOML: Invalid statement"),
    _kind(
        r"Expected newline or end of document after a statement",
        "not valid TOML: Expected newline or end of document after a statement",
    ),
    _kind(
        r"Expected '=' after a key in a key/value pair",
        "not valid TOML: Expected '=' after a key in a key/value pair",
    ),
    _kind(
        r"Expected '\]' at the end of a table declaration",
        "not valid TOML: Expected ']' at the end of a table declaration",
    ),
    _kind(
        r"Expected '\]\]' at the end of an array declaration",
        "not valid TOML: Expected ']]' at the end of an array declaration",
    ),
    _kind(r"Expected '(?P<expected>.*)'", "not valid TOML: Expected '{expected}'"),
    _kind(
        r"Found invalid character '(?P<char>.*)'",
        "not valid TOML: Found invalid character '{char}'",
    ),
    _kind(r"Illegal character '(?P<char>.*)'", "not valid TOML: Illegal character '{char}'"),
    _kind(r"Cannot declare (?P<key>.*) twice", "not valid TOML: Cannot declare {key} twice"),
    _kind(r"Cannot overwrite a value", "not valid TOML: Cannot overwrite a value"),
    _kind(
        r"Cannot mutate immutable namespace (?P<key>.*)",
        "not valid TOML: Cannot mutate immutable namespace {key}",
    ),
    _kind(
        r"Cannot redefine namespace (?P<key>.*)", "not valid TOML: Cannot redefine namespace {key}"
    ),
    _kind(
        r"Invalid initial character for a key part",
        "not valid TOML: Invalid initial character for a key part",
    ),
    _kind(r"Unclosed array", "not valid TOML: Unclosed array"),
    _kind(r"Unclosed inline table", "not valid TOML: Unclosed inline table"),
    _kind(
        r"Duplicate inline table key '(?P<key>.*)'",
        "not valid TOML: Duplicate inline table key '{key}'",
    ),
    _kind(r"Unescaped '\\' in a string", "not valid TOML: Unescaped '\\' in a string"),
    _kind(r"Invalid hex value", "not valid TOML: Invalid hex value"),
    _kind(
        r"Escaped character is not a Unicode scalar value",
        "not valid TOML: Escaped character is not a Unicode scalar value",
    ),
    _kind(r"Unterminated string", "not valid TOML: Unterminated string"),
    _kind(r"Invalid date or datetime", "not valid TOML: Invalid date or datetime"),
    _kind(r"Invalid value", "not valid TOML: Invalid value"),
)

CSV_KINDS = (
    _kind(
        r"new-line character seen in unquoted field.*",
        "not CSV: new-line character seen in unquoted field",
    ),
    _kind(
        r"field larger than field limit \((?P<limit>\d+)\)",
        "not CSV: field larger than field limit ({limit})",
    ),
    _kind(r"line contains NUL", "not CSV: line contains NUL"),
    _kind(r"unexpected end of data", "not CSV: unexpected end of data"),
)


def toml_error(message: str, text: str, file: str) -> RuleConfigError:
    """The error of ``tomllib`` (its ``message``) reading ``text``, at its line and column."""
    found = _AT.fullmatch(message)
    if found is None:
        return _matched(message, TOML_KINDS, "not valid TOML: {reason}", Place(file))
    if found["line"] is None:  # the end of the document: its last line
        place = Place(file, line=text.count("\n") + 1 - text.endswith("\n"))
    else:
        place = Place(file, line=int(found["line"]), char=int(found["col"]))
    return _matched(found["what"], TOML_KINDS, "not valid TOML: {reason}", place)


def csv_error(message: str, file: str, line: int) -> RuleConfigError:
    """The error of the ``csv`` reader (its ``message``) on ``line`` of the catalogue."""
    return _matched(message, CSV_KINDS, "not CSV: {reason}", Place(file, line=line))


def _matched(
    what: str, kinds: tuple[tuple[re.Pattern[str], str], ...], other: str, place: Place
) -> RuleConfigError:
    for pattern, template in kinds:
        found = pattern.fullmatch(what)
        if found is not None:
            params = {name: _key(value) for name, value in found.groupdict().items()}
            return RuleConfigError(template, where=place, **params)
    return RuleConfigError(other, where=place, reason=what)


def _key(value: str) -> str:
    """A key as written in TOML (``accounts.acme``): ``tomllib`` names a table by the repr
    of its tuple of parts (``('accounts', 'acme')``)."""
    if not value.startswith("("):
        return value
    try:
        parts = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value
    if isinstance(parts, tuple) and all(isinstance(p, str) for p in parts):
        return ".".join(parts)
    return value
