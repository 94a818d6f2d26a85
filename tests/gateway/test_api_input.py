"""What Schemathesis (``tests/gateway/test_api_fuzz.py``) found answering 500 or breaking the
description, one focused test per kind, each failing on the code before its fix. (It also
found the year-1 time that overflowed on the way to UTC, which
``tests/gateway/test_hostile_input.py`` holds since the hostile-input work fixed it too.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postgate.store.models import Account


@pytest.fixture
def admin(actors):
    return actors.person("ada", "admin", "author", "security")


@pytest.mark.parametrize("post_id", [0, 2**31, 2**63])
@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_an_id_no_row_can_have_is_404_for_every_method(client, admin, post_id, method):
    """A converter refusing an id made Werkzeug answer a PATCH with 405, naming GET (which
    would have refused the id as well), where the description says 404."""
    response = client.open(
        f"/api/v1/posts/{post_id}", method=method, json={"text": "x"}, headers=admin.headers
    )
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["error"] == "not_found"


def test_an_undeclared_method_is_405_with_allow(client, admin):
    """RFC 9110: a 405 lists the methods the resource has; the JSON error lost the header."""
    response = client.open("/api/v1/posts", method="TRACE", headers=admin.headers)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.get_json()["error"] == "method_not_allowed"


def test_credentials_no_header_can_carry_are_422_and_change_nothing(client, admin, rt):
    """httpx sends header values as ASCII: a token typed with an accent raised
    UnicodeEncodeError out of the connector, before any connection was made."""
    with rt.store.transaction() as db:
        db.add(Account(name="acme", platform="sandbox", base_url="http://127.0.0.1:1"))
    response = client.put(
        "/api/v1/accounts/acme/credentials",
        json={"credentials": "t\u00f6k\u00e9n"},
        headers=admin.headers,
    )
    assert response.status_code == 422 and response.get_json()["field"] == "token"
    assert "cannot carry" in response.get_json()["message"]
    with rt.store.session() as db:
        assert db.scalar(select(Account.credentials_enc).where(Account.name == "acme")) is None
