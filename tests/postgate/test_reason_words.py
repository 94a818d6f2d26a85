"""The reason words of the core (postgate/reason_words.py): the web app's compiled catalogue
read without Flask, English when it is absent, and each channel's message in its reader's
language with what a platform or a person wrote kept as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from postgate import reason_words
from postgate.notifications.messages import render


@pytest.fixture
def no_catalogue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(reason_words, "_catalogue_dir", lambda: tmp_path)  # holds no .mo
    reason_words.catalogue.cache_clear()
    yield
    reason_words.catalogue.cache_clear()


def test_the_catalogue_is_found_next_to_the_installed_web_app() -> None:
    where = reason_words._catalogue_dir()
    assert where is not None and (where / "fr" / "LC_MESSAGES" / "messages.mo").is_file()
    french = reason_words.catalogue("fr")
    assert not french.english
    assert reason_words.reason_text(french, "blocking findings") == "constats bloquants"
    assert reason_words.catalogue("en") is reason_words.ENGLISH


@pytest.mark.usefixtures("no_catalogue")
def test_without_the_catalogue_a_french_message_keeps_the_stored_english() -> None:
    assert reason_words.catalogue("fr") is reason_words.ENGLISH
    message = render("post.blocked", {"post": 4, "account": "acme", "reason": "edited"}, "fr")
    assert message.body.endswith("\u00a0: edited")


def test_what_a_takedown_left_reads_in_french() -> None:
    params = {"takedown": 7, "account": "acme", "reason": "revoked earlier by this takedown"}
    french = render("security.takedown-gap", params, "fr").body
    english = render("security.takedown-gap", params, "en").body
    assert "revoked" not in french and french != english
    assert english.startswith("revoked earlier by this takedown.")


def test_the_platform_s_words_are_quoted_and_a_reviewer_s_kept() -> None:
    disconnected = render(
        "security.disconnected", {"account": "acme", "reason": "invalid_grant"}, "fr"
    ).body
    assert disconnected.endswith("original\u00a0: «\u00a0invalid_grant\u00a0»"), disconnected
    rejected = render(
        "post.rejected", {"post": 2, "account": "acme", "by": "bob", "reason": "edited"}, "fr"
    ).body
    assert rejected.endswith("\u00a0: edited"), rejected  # the reviewer's own word


def test_a_reason_translated_by_the_caller_is_not_translated_twice() -> None:
    french = reason_words.catalogue("fr")
    params = {"post": 3, "account": "acme", "reason": "HTTP 500"}
    once = reason_words.notification_params(french, "post.failed", params)
    body = render("post.failed", once, "fr", reasons=False).body
    assert body.count("original") == 1, body
    assert render("post.failed", params, "fr").body == body
