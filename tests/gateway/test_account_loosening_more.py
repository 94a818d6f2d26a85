"""Fewer approvals, or a new time zone for an account with posting windows (they are read on
its clock, so they all move), loosen protection as a widened window does: they wait for a
second person; only the loosening part of a request waits."""

from __future__ import annotations

from sqlalchemy import select

from postgate.store.models import Account
from tests.helpers import make_account

WEEKDAYS = ["mon-fri 08:00-20:00"]


def _account(rt) -> Account:
    with rt.store.session() as db:
        found = db.scalar(select(Account).where(Account.name == "acme"))
        db.expunge(found)
        return found


def test_fewer_approvals_wait_for_a_second_person(rt, client, actors) -> None:
    make_account(rt, "acme", approvals=2)
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    asked = client.patch(
        "/api/v1/accounts/acme", json={"approvals_required": 1}, headers=ada.headers
    )
    assert asked.status_code == 202, asked.get_json()
    change = asked.get_json()
    assert change["approvals_required"] == 1
    assert change["widens"] == ["approvals required lowered from 2 to 1"]
    assert change["widens_text"] == ["approbations requises abaissées de 2 à 1"]  # French first
    listed = client.get("/api/v1/account-changes", headers=ada.headers | {"Accept-Language": "en"})
    assert listed.get_json()["changes"][0]["widens_text"] == change["widens"]
    assert _account(rt).approvals_required == 2
    url = f"/api/v1/account-changes/{change['id']}/approve"
    done = client.post(url, json={"otp": bea.code()}, headers=bea.headers)
    assert done.status_code == 200, done.get_json()
    assert _account(rt).approvals_required == 1


def test_more_approvals_apply_at_once(rt, client, actors) -> None:
    make_account(rt, "acme", approvals=1)
    ada = actors.person("ada", "admin")
    answer = client.patch(
        "/api/v1/accounts/acme", json={"approvals_required": 3}, headers=ada.headers
    )
    assert answer.status_code == 200, answer.get_json()
    assert _account(rt).approvals_required == 3


def test_a_new_time_zone_waits_when_the_account_has_windows_only(rt, client, actors) -> None:
    make_account(rt, "acme", timezone="Europe/Paris", windows=WEEKDAYS)
    make_account(rt, "free", timezone="Europe/Paris")
    ada = actors.person("ada", "admin")
    asked = client.patch(
        "/api/v1/accounts/acme",
        json={"timezone": "America/New_York", "approvals_required": 2},
        headers=ada.headers,
    )
    assert asked.status_code == 202, asked.get_json()
    change = asked.get_json()
    assert change["timezone"] == "America/New_York" and change["approvals_required"] is None
    assert change["widens"][0].startswith("time zone changed from Europe/Paris")
    assert change["widens_text"] == [
        "fuseau horaire changé de Europe/Paris à America/New_York\u00a0: les plages de "
        "publication et les dates interdites se décalent avec lui"
    ]
    account = _account(rt)
    assert account.timezone == "Europe/Paris"  # waits
    assert account.approvals_required == 2  # the tightening part applied at once
    free = client.patch(
        "/api/v1/accounts/free", json={"timezone": "America/New_York"}, headers=ada.headers
    )
    assert free.status_code == 200, free.get_json()  # no windows, nothing moves


def test_bad_values_are_refused_before_anything_waits(rt, client, actors) -> None:
    make_account(rt, "acme", approvals=2, windows=WEEKDAYS)
    ada = actors.person("ada", "admin")
    for body, field in (
        ({"approvals_required": 0}, "approvals_required"),
        ({"timezone": "Mars/Base"}, "timezone"),
    ):
        answer = client.patch("/api/v1/accounts/acme", json=body, headers=ada.headers)
        assert answer.status_code == 422 and answer.get_json()["field"] == field, body
    assert client.get("/api/v1/account-changes", headers=ada.headers).get_json()["changes"] == []
