"""Who may use the console: role checks on every page and form, sign-in, CSRF, and the
console in French."""

from __future__ import annotations

import pytest

from postgate.services import freezes
from tests.helpers import make_account

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral

PAGES = [
    "/security",
    "/security/audit",
    "/security/users",
]


POSTS = [
    "/security/freeze",
    "/security/freeze/lift",
    "/security/takedowns",
    "/security/users/revoke",
]


@pytest.mark.parametrize("role", ["author", "reviewer"])
def test_authors_and_reviewers_get_403_on_every_console_page(client, web, actors, role) -> None:
    make_account(actors.rt, "acme")
    person = actors.create("pat", role)
    web.login(person)
    for path in [
        *PAGES,
        "/security/takedowns/1",
        "/security/takedowns/1/progress",
        "/security/takedowns/1/report",
    ]:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert web.submit(path, page="/me").status_code == 403, path


def test_signed_out_visitors_go_to_login(client) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forms_without_csrf_token_are_refused(client, rt, sam) -> None:
    make_account(rt, "acme")
    for path in POSTS:
        assert client.post(path, data={"reason": "x", "otp": "123456"}).status_code == 400
    with rt.store.session() as db:
        assert freezes.active_freezes(db) == []


def test_console_shows_accounts_freeze_and_takedown_forms(client, rt, sam) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    body = client.get("/security").get_data(as_text=True)
    assert "acme" in body and 'action="/security/takedowns"' in body
    assert 'action="/security/freeze"' in body and "console.css" in body
    # the since field's clock: the lead's own, else the organisation's (UTC here)
    assert 'name="since"' in body and '<option selected value="UTC">' in body


def test_console_speaks_french(client, web, rt, actors) -> None:
    make_account(rt, "acme")
    sam = actors.create("sam", "security")
    web.login(sam, lang="fr")
    body = client.get("/security").get_data(as_text=True)
    assert "Console de crise" in body and "Geler la publication" in body
    body = client.get("/security/audit").get_data(as_text=True)
    assert "Journal d\u2019audit" in body
