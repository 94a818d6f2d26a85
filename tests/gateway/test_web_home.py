"""``/`` sends each person to the page of their role."""

import pytest

from tests.gateway.test_web_auth import _web_login


def test_signed_out_visitors_go_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("author",), "/posts"),
        (("reviewer", "author"), "/review"),
        (("security", "reviewer"), "/security"),
        (("admin",), "/admin"),
    ],
)
def test_signed_in_users_land_on_their_roles_page(actors, client, roles, landing):
    person = actors.create("pat", *roles)
    assert _web_login(client, person).status_code in (200, 302)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith(landing)
