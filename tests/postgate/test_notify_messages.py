"""The message catalogue: every kind speaks English and French, renders every parameter the
router gives it, and the router keeps secrets out of what it gives."""

from __future__ import annotations

import re

import pytest

from postgate.notifications.kinds import LANGUAGES, Kind
from postgate.notifications.messages import CATALOGUE, render
from postgate.notifications.router import safe

FIELD = re.compile(r"{(\w+)}")


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_both_languages_with_the_same_fields(kind: Kind) -> None:
    texts = CATALOGUE[kind]
    assert set(texts) == set(LANGUAGES)
    english = set(FIELD.findall("".join(texts["en"])))
    french = set(FIELD.findall("".join(texts["fr"])))
    localised = {"scope_fr": "scope", "status_fr": "status", "what_fr": "what"}
    assert {localised.get(f, f) for f in french} == english
    assert texts["fr"] != texts["en"]


def test_french_reads_naturally_with_french_punctuation() -> None:
    message = render(
        "security.freeze", {"scope": "all accounts", "by": "ada", "reason": "fuite"}, "fr"
    )
    assert message.title == "Gel\u00a0: tous les comptes"
    assert message.body == "ada a gelé tous les comptes\u00a0: fuite"
    when = render(
        "security.lockout", {"user": "bob", "until": "2026-11-30T17:05:00.123456+00:00"}, "fr"
    )
    assert "jusqu\u2019au 2026-11-30 17:05 UTC" in when.body


def test_an_unknown_language_falls_back_to_english_and_links_become_absolute() -> None:
    message = render(
        "post.approved",
        {"post": 3, "account": "acme", "by": "bob", "link": "/posts/3"},
        "de",
        "https://postgate.example",
    )
    assert message.title == "Post #3 approved"
    assert message.body.endswith("https://postgate.example/posts/3")


@pytest.mark.parametrize(
    "text",
    [
        "code 123456 typed",
        "token 9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc",
        "see https://user:hunter2@host.example/x",
    ],
)
def test_secret_shaped_text_never_reaches_a_message(text: str) -> None:
    cleaned = safe(text)
    for secret in ("123456", "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc", "hunter2"):
        assert secret not in cleaned


def test_times_and_links_keep_their_digits() -> None:
    assert safe("2026-11-30T17:05:00.123456+00:00", "at").endswith("123456+00:00")
    assert safe("https://social.example/@acme/1234567", "url").endswith("1234567")
