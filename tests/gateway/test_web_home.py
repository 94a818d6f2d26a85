"""``/`` sends each person to the page of their role."""

import pytest

pytestmark = pytest.mark.store_neutral


def test_signed_out_visitors_go_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("author",), "/posts"),
        (("reviewer", "author"), "/review"),
        (("security", "reviewer"), "/security"),
        (("admin",), "/admin/accounts"),
    ],
)
def test_signed_in_users_land_on_their_roles_page(actors, client, web, roles, landing):
    web.login(actors.create("pat", *roles))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith(landing)
