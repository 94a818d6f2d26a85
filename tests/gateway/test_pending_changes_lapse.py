"""A request waiting for a second person lapses unanswered (``[security]
pending_change_days``, 7 by default): weeks later, whoever holds a second admin's session
cannot confirm a grant of power, nor approve a loosened posting window, that nobody
remembers asking for. The one who still wants it asks again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from gateway import create_app
from postgate.store.models import AccountChange, PendingChange
from postgate.store.types import utcnow
from tests.helpers import make_account


def _age(rt, model) -> None:
    """As if its days had passed: the request's moment to lapse is a second ago."""
    with rt.store.transaction() as db:
        db.execute(update(model).values(expires_at=utcnow() - timedelta(seconds=1)))


def _days_between(change: dict) -> float:
    asked = datetime.fromisoformat(change["requested_at"])
    return (datetime.fromisoformat(change["expires_at"]) - asked) / timedelta(days=1)


def test_a_lapsed_grant_can_be_neither_confirmed_nor_cancelled(rt, client, actors) -> None:
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    actors.person("rex", "author")
    asked = client.put(
        "/api/v1/users/rex/roles", json={"roles": ["author", "reviewer"]}, headers=ada.headers
    )
    assert asked.status_code == 202, asked.get_json()
    change = asked.get_json()
    assert change["outcome"] == "pending" and _days_between(change) == 7
    _age(rt, PendingChange)

    url = f"/api/v1/users/changes/{change['id']}"
    for action, headers in (("confirm", bea.headers), ("cancel", ada.headers)):
        refused = client.post(f"{url}/{action}", json={}, headers=headers)
        assert refused.status_code == 409, refused.get_json()
        assert refused.get_json()["field"] == "id"
        assert "expired on" in refused.get_json()["message"]
    roles = client.get("/api/v1/users", headers=bea.headers).get_json()["users"]
    assert {u["username"]: u["roles"] for u in roles}["rex"] == ["author"]
    listed = client.get("/api/v1/users/changes", headers=bea.headers).get_json()["changes"]
    assert listed == []

    # Asked again, it waits afresh and a second admin confirms it.
    again = client.put(
        "/api/v1/users/rex/roles", json={"roles": ["author", "reviewer"]}, headers=ada.headers
    ).get_json()
    listed = client.get("/api/v1/users/changes", headers=bea.headers).get_json()["changes"]
    assert [c["id"] for c in listed] == [again["id"]]
    done = client.post(f"/api/v1/users/changes/{again['id']}/confirm", json={}, headers=bea.headers)
    assert done.status_code == 200 and done.get_json()["user"]["roles"] == ["author", "reviewer"]


def test_a_lapsed_loosening_can_be_neither_approved_nor_denied(rt, client, actors) -> None:
    make_account(rt, "acme", windows=["mon-fri 08:00-20:00"])
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    asked = client.patch(
        "/api/v1/accounts/acme", json={"windows": ["mon-sun 08:00-20:00"]}, headers=ada.headers
    )
    assert asked.status_code == 202, asked.get_json()
    change = asked.get_json()
    assert _days_between(change) == 7
    _age(rt, AccountChange)
    for action in ("approve", "deny"):
        refused = client.post(
            f"/api/v1/account-changes/{change['id']}/{action}", json={}, headers=bea.headers
        )
        assert refused.status_code == 409 and "expired on" in refused.get_json()["message"]
    assert client.get("/api/v1/account-changes", headers=bea.headers).get_json()["changes"] == []
    windows = client.get("/api/v1/accounts", headers=bea.headers).get_json()["accounts"][0]
    assert windows["windows"] == ["mon-fri 08:00-20:00"]


def test_the_lapse_is_a_setting_and_zero_means_never(rt, actors) -> None:
    patient = create_app(
        {"TESTING": True}, settings=rt.settings.with_overrides(pending_change_days=0)
    ).test_client()
    ada = actors.person("ada", "admin")
    actors.person("bea", "admin")
    actors.person("rex", "author")
    asked = patient.put(
        "/api/v1/users/rex/roles", json={"roles": ["author", "reviewer"]}, headers=ada.headers
    )
    assert asked.status_code == 202 and asked.get_json()["expires_at"] is None


def test_the_pages_say_when_a_request_lapses(rt, client, web, actors) -> None:
    ada, bea = actors.person("ada", "admin"), actors.create("bea", "admin")
    actors.person("rex", "author")
    client.put(
        "/api/v1/users/rex/roles", json={"roles": ["author", "reviewer"]}, headers=ada.headers
    )
    web.login(bea, lang="fr")
    for path in ("/security/users", "/security"):
        page = client.get(path).get_data(as_text=True)
        assert "expire sans réponse" in page, path
    _age(rt, PendingChange)
    page = client.get("/security/users").get_data(as_text=True)
    assert "expire sans réponse" not in page and "/security/users/changes/1/confirm" not in page
    # A confirmation sent from a page opened before it lapsed is refused, in French.
    late = web.submit("/security/users/changes/1/confirm", page="/security/users")
    shown = client.get(late.headers["Location"]) if late.status_code == 302 else late
    assert "cette demande a expiré le" in shown.get_data(as_text=True)
