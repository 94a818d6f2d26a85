"""The French catalogue as a native speaker reads it: complete, typographically French, and
with one word for each thing.

``test_catalog_complete`` checks that every text the code shows has an entry; this checks
the entries themselves: none fuzzy, empty or left in English; the same placeholders as the
English; a no-break space before ``: ; ! ?`` and inside « »; the typographic apostrophe; the
same terms throughout (publication, relecture, gel, retrait, responsable sécurité), and
"Gel" for the noun, never "Geler".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from tests.conftest import ROOT

PO = ROOT / "gateway" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
# Texts that read the same in both languages (names, formats, cognates).
SAME_IN_FRENCH = frozenset(
    """
    Action Actions Administration Code Console Notifications Note Promotion Total Version
    Images Pages Sessions Alertes Type Options Description {text} %(account)s: CSV TOML
    """.split()
) | {"Catalogue (CSV)", "Image %(n)s", "URL Apprise", "Apprise URL", "Notifications"}
# A placeholder: {name}, {name!r}, %(name)s, %(name)d.
FIELD = re.compile(r"\{(\w+)(?:![rs])?\}|%\((\w+)\)[sd]")
# What is code or a command in a text, where English punctuation stays.
CODE = re.compile(
    r"`[^`]*`|python -c '[^']*'|\w+://\S*|\{[^}]*\}|%\(\w+\)[sd]|\b(GET|POST|PATCH) /\S+"
)
# One word for each thing: an English term, and the French one its translation uses.
TERMS = {
    r"\bfreeze\b": r"\bgel(é|ée|és|ées|er|s)?\b|\bgèle\b",
    r"\btake ?down|\btaken down": r"\bretir|\bretrait|\bsupprim",
    r"\bsecurity lead": r"responsable sécurité",
    r"\breviewers?\b": r"\brelect(eur|eurs)\b",
    r"\bsend (it |them )?for review|\bback (in|to) review|\bsent for review": r"\brelecture\b",
}
# Words a French text never needs: English left behind, or a term the catalogue does not use.
FORBIDDEN = re.compile(
    r"(?i)\b(the|and|with|post|posts|review|reviewer|takedown|frozen|nettoy\w*|"
    r"réviseur\w*|modérat\w*|tweet\w*)\b"
)


def _entries() -> Iterator[Message]:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    assert not catalog.obsolete, f"obsolete entries left: {sorted(catalog.obsolete)[:5]}"
    for message in catalog:
        if message.id:
            yield message


def _pairs(message: Message) -> list[tuple[str, str]]:
    """(English, French) of an entry, each plural form with the English it translates."""
    if isinstance(message.id, str):
        return [(message.id, message.string if isinstance(message.string, str) else "")]
    singular, plural = message.id[0], message.id[1]
    forms = list(message.string or ("",))
    return [(singular if i == 0 else plural, text) for i, text in enumerate(forms)]


def _label(message: Message) -> str:
    english = message.id if isinstance(message.id, str) else message.id[0]
    return f"{english!r}" + (f" (context {message.context!r})" if message.context else "")


ENTRIES = list(_entries())


def test_no_entry_is_fuzzy_empty_or_left_in_english() -> None:
    wrong = []
    for message in ENTRIES:
        for english, french in _pairs(message):
            if message.fuzzy:
                wrong.append(f"fuzzy: {_label(message)}")
            elif not french.strip():
                wrong.append(f"empty: {_label(message)}")
            elif french == english and english not in SAME_IN_FRENCH and " " in english:
                wrong.append(f"same as the English: {_label(message)}")
    assert not wrong, "\n".join(wrong)


def test_each_translation_keeps_the_placeholders_of_its_english() -> None:
    wrong = []
    for message in ENTRIES:
        for english, french in _pairs(message):
            expected = {a or b for a, b in FIELD.findall(english)}
            found = {a or b for a, b in FIELD.findall(french)}
            if found != expected and not (message.id != english and found <= expected):
                wrong.append(f"{_label(message)}: {sorted(expected)} -> {sorted(found)}")
    assert not wrong, "\n".join(wrong)


def _prose(french: str) -> str:
    return CODE.sub(" ", french)


# French typography, each rule with what breaks it (also checks the notification catalogue:
# tests/notify/test_french_notifications.py).
TYPOGRAPHY = [
    ("a no-break space before : (U+00A0)", r" :|(?<![\w-])[a-zà-ÿ\u2019]+:(?=\s)"),
    ("a narrow no-break space before ; ! ?", r"(?<=\w|[»)])[ \u00a0]?[;!?](?=\s|$)"),
    ("a no-break space inside « »", r"« |«(?=\S)(?!\u00a0)| »|(?<=\S)(?<!\u00a0)»"),
    ("the apostrophe U+2019, not '", r"(?<=\w)'(?=\w)"),
    ("no English left, and the catalogue's own terms", FORBIDDEN.pattern),
]


@pytest.mark.parametrize(("rule", "pattern"), TYPOGRAPHY)
def test_french_typography_and_words(rule: str, pattern: str) -> None:
    check = re.compile(pattern)
    wrong = [
        f"{_label(m)}: {french!r}"
        for m in ENTRIES
        for _english, french in _pairs(m)
        if check.search(_prose(french))
    ]
    assert not wrong, f"{rule}:\n" + "\n".join(wrong)


def test_the_same_thing_has_the_same_name_throughout() -> None:
    wrong = []
    for message in ENTRIES:
        for english, french in _pairs(message):
            for term, word in TERMS.items():
                if re.search(term, english, re.I) and not re.search(word, french, re.I):
                    wrong.append(f"{_label(message)} says {term!r}: {french!r}")
    assert not wrong, "\n".join(wrong)


def test_a_freeze_is_a_gel_and_freezing_is_geler() -> None:
    by_key = {(m.context, m.id): m.string for m in ENTRIES}
    assert by_key[(None, "Freeze")] == "Gel"  # the calendar's tag: a noun
    assert by_key[("action", "Freeze")] == "Geler"  # the console's button: a verb
    nouns = [m for m in ENTRIES if isinstance(m.string, str) and re.match(r"Geler\b", m.string)]
    for message in nouns:  # "Geler" only starts an action: a button, a heading that acts
        assert re.match(r"Freez(e|ing)\b", str(message.id)), _label(message)
