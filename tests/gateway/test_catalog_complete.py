"""Every text the web app can show has a French translation (French is the default).

The strings are extracted the way ``pybabel extract -F babel.cfg`` does, reading the same
``babel.cfg``, so a new ``_()`` in a template or view without its entry in ``messages.po``
(the one domain of the web app) fails here instead of showing English to French users. That
includes the messages of service errors: ``babel.cfg`` makes every class of
``postgate.errors`` an extraction keyword, and an error raised with an f-string, which no
catalog can hold, fails.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

import postgate.errors
from postgate.errors import PostgateError
from rules import VERBATIM
from tests.conftest import ROOT

KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "Template": None}
TRANSLATIONS = ROOT / "gateway" / "translations"
CATALOGS = TRANSLATIONS / "fr" / "LC_MESSAGES"
# Every exception a service raises to tell someone what went wrong; a new subclass joins.
ERROR_CLASSES = frozenset(
    name
    for name, value in vars(postgate.errors).items()
    if isinstance(value, type) and issubclass(value, PostgateError)
)
# Where service errors are raised: their messages must be literal templates.
ERROR_SOURCES = ("postgate", "gateway/web")

Text = tuple[str | None, str]  # (context, msgid)


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict]]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        return parse_mapping_cfg(handle)


def _extracted() -> Iterator[tuple[str, int, str, str | None]]:
    method_map, options_map = _mapping()
    for filename, line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options_map, keywords=KEYWORDS
    ):
        text = message[0] if isinstance(message, tuple) else message
        if text and text != VERBATIM:  # an administrator's own words are shown as written
            yield filename, line, text, context


def _shown_texts() -> dict[Text, str]:
    found: dict[Text, str] = {}
    for filename, line, text, context in _extracted():
        found.setdefault((context, text), f"{filename}:{line}")
    return found


def _catalog():
    with open(CATALOGS / "messages.po", "rb") as handle:
        return read_po(handle)


def test_the_web_app_has_one_translation_domain() -> None:
    """Flask-Babel reads ``messages`` only: a catalog beside it would never be shown."""
    assert sorted(p.name for p in CATALOGS.iterdir()) == ["messages.mo", "messages.po"]


def test_every_text_of_the_web_app_is_translated_to_french() -> None:
    catalog = _catalog()
    shown = _shown_texts()
    assert len(shown) > 300, "extraction found too little: is babel's method map still right?"
    missing = [
        f"{where}: {text!r}" + (f" (context {context!r})" if context else "")
        for (context, text), where in sorted(shown.items(), key=lambda item: item[1])
        if not (
            (entry := catalog.get(text, context=context)) is not None
            and entry.string
            and not entry.fuzzy
        )
    ]
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_babel_cfg_extracts_every_error_class_where_errors_are_raised() -> None:
    method_map, options_map = _mapping()
    python = [pattern for pattern, method in method_map if method == "python"]
    for source in ("postgate", "gateway"):
        pattern = next(p for p in python if p.startswith(f"{source}/"))
        keywords = set(options_map.get(pattern, {}).get("keywords", {}))
        assert keywords == ERROR_CLASSES, f"babel.cfg [python: {pattern}] keywords"
    templates = {text for filename, _line, text, _ctx in _extracted() if filename.endswith(".py")}
    # Babel before 2.17 ignores `keywords` in babel.cfg: nothing of the services would come out.
    assert "the password needs at least {count} characters" in templates
    assert "a {status} post cannot be approved" in templates


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _error_templates() -> list[str]:
    """The literal first argument of every call of an error class, in postgate and gateway."""
    found = {
        message
        for _filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map=[("postgate/**.py", "python"), ("gateway/**.py", "python")],
            keywords=dict.fromkeys(ERROR_CLASSES),
        )
        if isinstance(message, str)
    }
    return sorted(found)


def test_every_service_error_has_a_french_translation_that_fits() -> None:
    compiled = Translations.load(str(TRANSLATIONS), ["fr"], domain="messages")
    templates = _error_templates()
    assert len(templates) > 80, "extraction of service errors found too little"
    wrong = []
    for template in templates:
        french = compiled.ugettext(template)
        if french == template:
            wrong.append(f"no French in the compiled catalogs: {template!r}")
        elif _fields(french) != _fields(template):
            wrong.append(f"the French must use the same {{fields}}: {template!r} -> {french!r}")
    assert not wrong, "\n".join(wrong)


def _error_calls(path: Path) -> Iterator[tuple[int, ast.expr | None]]:
    """Each call of an error class in ``path``: its line and its first argument."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in ERROR_CLASSES:
            yield node.lineno, node.args[0] if node.args else None


@pytest.mark.parametrize("source", ERROR_SOURCES)
def test_service_errors_are_raised_with_literal_templates(source: str) -> None:
    """An f-string (or any computed text) can never be found in a catalog: pass the values as
    parameters, ``ValidationFailed("no post {id}", field="id", id=str(post_id))``."""
    computed = []
    for path in sorted((ROOT / source).rglob("*.py")):
        for line, argument in _error_calls(path):
            literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            if not literal:
                shown = ast.unparse(argument) if argument is not None else "(no message)"
                computed.append(f"{path.relative_to(ROOT)}:{line}: {shown}")
    assert not computed, "errors without a literal template:\n" + "\n".join(computed)
