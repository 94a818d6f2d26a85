"""After signing in, each role lands where its work is, unless a safe ``next`` was given:
an author on their posts, a reviewer on the queue, security on the console, an admin on the
accounts. Someone with several roles lands on the most urgent one (security first)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.store_neutral


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("author",), "/posts"),
        (("reviewer",), "/review"),
        (("reviewer", "author"), "/review"),
        (("security",), "/security"),
        (("admin",), "/admin/accounts"),
        (("admin", "security"), "/security"),
    ],
)
def test_login_lands_on_the_roles_work(client, web, actors, roles, landing) -> None:
    response = web.login(actors.create("pat", *roles))
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200
    # Signed in already, the login page sends them to the same place.
    again = client.get("/login")
    assert again.status_code == 302 and again.headers["Location"] == landing


def test_a_safe_next_wins_and_an_unsafe_one_falls_back_to_the_landing(web, actors) -> None:
    rex = actors.create("rex", "reviewer")
    assert web.try_login(rex, next="/me").headers["Location"] == "/me"
    other = web.another()
    answer = other.try_login(rex, next="//evil.example/x")
    assert answer.headers["Location"] == "/review"
