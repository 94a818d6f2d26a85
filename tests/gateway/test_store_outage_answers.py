"""A store or Redis that does not answer gives 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest

from gateway import create_app

UNREACHABLE = {
    "sqlite": lambda tmp: f"sqlite:///{tmp / 'missing-folder' / 'postgate.db'}",
    "postgresql": lambda tmp: "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2",
}


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
def test_api_answers_503_with_retry_after_when_the_store_is_away(rt, actors, tmp_path, kind):
    person = actors.person("amy", "author")
    settings = rt.settings.with_overrides(database_url=UNREACHABLE[kind](tmp_path))
    client = create_app({"TESTING": True}, settings=settings).test_client()
    response = client.get("/api/v1/posts", headers={"Authorization": f"Bearer {person.token}"})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "unavailable"


def test_login_works_when_redis_is_away(rt, actors):
    """Login limits fall back to the store (tests/gateway/test_redis_outage_access.py)."""
    person = actors.create("amy", "author")
    settings = rt.settings.with_overrides(redis_url="redis://127.0.0.1:1/0")
    client = create_app({"TESTING": True}, settings=settings).test_client()
    response = client.post(
        "/api/v1/session",
        json={"username": person.username, "password": person.password, "otp": person.code()},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_signed_in_page_says_so_in_the_readers_language(rt, actors, web, tmp_path):
    web.login(actors.create("amy", "author"), lang="fr")
    cookie = web.client.get_cookie("postgate_session")
    settings = rt.settings.with_overrides(database_url=UNREACHABLE["sqlite"](tmp_path))
    client = create_app({"TESTING": True}, settings=settings).test_client()
    client.set_cookie("postgate_session", cookie.value)
    response = client.get("/posts", headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "arrive pas à joindre son stockage" in response.get_data(as_text=True)
