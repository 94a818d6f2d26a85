"""Every text the web app can show has a French translation (French is the default).

The strings are extracted the way ``pybabel extract -F babel.cfg`` does, so a new ``_()``
in a template or view without its entry in ``messages.po`` or ``console.po`` fails here
instead of showing English to French users.
"""

from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from rules import VERBATIM
from tests.conftest import ROOT

KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "Template": None}
METHODS = [
    ("gateway/**.py", "python"),
    ("rules/**.py", "python"),
    ("gateway/templates/**.html", "jinja2"),
]
CATALOGS = ROOT / "gateway" / "translations" / "fr" / "LC_MESSAGES"


def _shown_texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        text = message[0] if isinstance(message, tuple) else message
        if text and text != VERBATIM:  # an administrator's own words are shown as written
            found.setdefault(text, f"{filename}:{line}")
    return found


def test_every_text_of_the_web_app_is_translated_to_french() -> None:
    catalogs = []
    for domain in ("messages", "console"):
        with open(CATALOGS / f"{domain}.po", "rb") as handle:
            catalogs.append(read_po(handle))
    shown = _shown_texts()
    assert len(shown) > 300, "extraction found too little: is babel's method map still right?"
    missing = [
        f"{where}: {text!r}"
        for text, where in sorted(shown.items(), key=lambda item: item[1])
        if not any(
            (entry := catalog.get(text)) is not None and entry.string and not entry.fuzzy
            for catalog in catalogs
        )
    ]
    assert not missing, "untranslated:\n" + "\n".join(missing)
