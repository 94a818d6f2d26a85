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


def test_an_error_raised_while_the_store_was_away_counts_as_the_outage():
    """What a cleanup raises after the store went away (an object its failed transaction
    expired, a second connection refused) is answered as the outage it came from."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import DetachedInstanceError

    from gateway.outages import is_outage

    def cleanup_after(error: Exception) -> Exception:
        try:
            raise error
        except Exception:
            try:
                raise DetachedInstanceError("the token's row was expired by the rollback")
            except DetachedInstanceError as raised:
                return raised

    gone = OperationalError("INSERT ...", {}, Exception("terminating connection"))
    assert is_outage(cleanup_after(gone))
    assert not is_outage(cleanup_after(ValueError("a bug")))
    assert not is_outage(DetachedInstanceError("a bug of its own"))
