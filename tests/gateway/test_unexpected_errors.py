"""An exception nobody expected: a page answers with the error page in the reader's language,
the API with its JSON error; neither shows the traceback or the exception, the log has both."""

from __future__ import annotations

import logging

import pytest

import postgate.services.post_lists

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral

SECRET = "connection string postgresql://admin:hunter2@db"


def _explode(*_args, **_kwargs):
    raise RuntimeError(SECRET)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Une erreur inattendue s\u2019est produite\u202f; elle a été consignée."),
        ("en", "An unexpected error happened; it was logged."),
    ],
)
def test_a_page_shows_the_error_page_in_the_readers_language(
    client, web, actors, monkeypatch, caplog, lang, text
) -> None:
    web.login(actors.create("ana", "author"), lang=lang)
    monkeypatch.setattr(postgate.services.post_lists, "page_posts", _explode)
    with caplog.at_level(logging.ERROR, logger="postgate.gateway"):
        response = client.get("/posts")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in body and text in body
    assert SECRET not in body and "RuntimeError" not in body and "Traceback" not in body
    assert "My posts" in body or "Mes publications" in body  # the site's own page, signed in
    assert SECRET in caplog.text and "GET /posts" in caplog.text


def test_the_api_answers_json(client, actors, monkeypatch, caplog) -> None:
    ana = actors.person("ana", "author")
    monkeypatch.setattr(postgate.services.post_lists, "page_posts", _explode)
    with caplog.at_level(logging.ERROR, logger="postgate.gateway"):
        response = client.get("/api/v1/posts", headers=ana.headers)
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "internal",
        "message": "an unexpected error happened; it was logged",
    }
    assert SECRET not in response.get_data(as_text=True)
    assert SECRET in caplog.text
