"""The notification catalogue (postgate/notifications/messages.py: e-mails, chat channels and
the in-app list) read with the same eye as the web app's .po: French typography, no English
left, one word for each thing, the same placeholders as the English."""

from __future__ import annotations

import re
import string

import pytest

from postgate.notifications.messages import CATALOGUE, DIGEST_OF_ONE, WORDS, render
from tests.gateway.test_french_catalogue import TERMS, TYPOGRAPHY, _prose


def _pairs() -> list[tuple[str, str, str]]:
    """(where, English, French) of each title and body, and of each word the templates take."""
    pairs = []
    for kind, texts in [*CATALOGUE.items(), ("digest of one", DIGEST_OF_ONE)]:
        for part, english, french in zip(("title", "body"), texts["en"], texts["fr"], strict=True):
            pairs.append((f"{kind} {part}", english, french))
    for english, languages in WORDS.items():
        pairs.append((f"word {english!r}", languages.get("en", english), languages["fr"]))
    return pairs


PAIRS = _pairs()


def _faults(pattern: str, french: str) -> bool:
    return bool(re.search(pattern, _prose(french)))


@pytest.mark.parametrize(("rule", "pattern"), TYPOGRAPHY)
def test_french_notifications_follow_french_typography(rule: str, pattern: str) -> None:
    wrong = [f"{where}: {french!r}" for where, _en, french in PAIRS if _faults(pattern, french)]
    assert not wrong, f"{rule}:\n" + "\n".join(wrong)


def test_the_checks_catch_english_typography() -> None:
    """The checker is the one that fails on what the notifications used to say."""
    old = "Votre publication sur {account} n'a pas été publiée : {reason}"
    assert sum(_faults(pattern, old) for _rule, pattern in TYPOGRAPHY) == 2


def test_a_number_sign_holds_its_number() -> None:
    wrong = [french for _w, _en, french in PAIRS if re.search(r"n°(?!\u00a0)", french)]
    assert not wrong, "n° then a no-break space:\n" + "\n".join(wrong)


def test_the_same_thing_has_the_same_name_as_on_the_pages() -> None:
    wrong = [
        f"{where} says {term!r}: {french!r}"
        for where, english, french in PAIRS
        for term, word in TERMS.items()
        if re.search(term, english, re.I) and not re.search(word, french, re.I)
    ]
    assert not wrong, "\n".join(wrong)


def _fields(template: str) -> set[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return {name.removesuffix("_fr") for name in names}


def test_each_french_template_keeps_the_placeholders_of_its_english() -> None:
    wrong = [
        f"{where}: {_fields(english)} -> {_fields(french)}"
        for where, english, french in PAIRS
        if not where.startswith("word") and _fields(english) != _fields(french)
    ]
    assert not wrong, "\n".join(wrong)


def test_a_rendered_french_message_reads_french() -> None:
    message = render(
        "post.blocked", {"post": 7, "account": "acme", "reason": "gel"}, "fr", with_link=False
    )
    assert message.title == "Publication n°\u00a07 bloquée au moment d\u2019être publiée"
    assert message.body == "Votre publication sur acme n\u2019a pas été publiée\u00a0: gel"
