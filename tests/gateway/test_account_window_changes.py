"""Widening an account's posting windows, or removing a blackout date, waits for a second
person (issue 17): another admin or the security lead approves it with 2FA; the one who
asked cannot. A tightening applies at once."""

from __future__ import annotations

from sqlalchemy import select

from gateway import create_app
from postgate.store.models import Account, AuditEntry
from tests.helpers import make_account

SATURDAY = "2030-03-09T10:00:00+00:00"  # outside mon-fri, inside mon-sun
WEEKDAYS = ["mon-fri 08:00-20:00"]
EVERY_DAY = ["mon-sun 08:00-20:00"]


def _stored(rt, name: str = "acme") -> tuple[list[str], list[str]]:
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.name == name))
        assert account is not None
        return list(account.windows), list(account.blackout_dates)


def _actions(rt) -> list[str]:
    with rt.store.session() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _schedule_findings(client, author) -> list[dict]:
    answer = client.post(
        "/api/v1/posts",
        json={"account": "acme", "text": "Bonjour à tous", "scheduled_at": SATURDAY},
        headers=author.headers,
    )
    assert answer.status_code in (200, 201, 202), answer.get_json()
    return [f for f in answer.get_json()["findings"] if f["rule"] == "schedule"]


def test_widening_waits_for_a_second_person_who_approves_with_2fa(rt, client, actors) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    ana = actors.person("ana", "author")
    asked = client.patch(
        "/api/v1/accounts/acme",
        json={"windows": EVERY_DAY, "approvals_required": 2},
        headers=ada.headers,
    )
    assert asked.status_code == 202, asked.get_json()
    change = asked.get_json()
    assert change["outcome"] == "pending" and change["windows"] == EVERY_DAY
    assert change["widens"] == ["windows widened (sat 08:00 now allowed)"]
    assert change["widens_text"] == [
        "plages de publication élargies (samedi 08:00 désormais permis)"
    ]
    # The tightening part (more approvals) applied; the windows did not.
    assert _stored(rt)[0] == WEEKDAYS
    shown = client.get("/api/v1/accounts", headers=ada.headers).get_json()["accounts"]
    assert shown[0]["approvals_required"] == 2
    assert _schedule_findings(client, ana), "the Saturday slot is still outside the windows"
    listed = client.get("/api/v1/account-changes", headers=bea.headers).get_json()["changes"]
    assert [c["id"] for c in listed] == [change["id"]]

    url = f"/api/v1/account-changes/{change['id']}/approve"
    own = client.post(url, json={}, headers=ada.headers)
    assert own.status_code == 403 and own.get_json()["field"] == "id"
    assert _stored(rt)[0] == WEEKDAYS

    strict = create_app(
        {"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0)
    ).test_client()
    assert strict.post(url, json={}, headers=bea.headers).status_code == 401
    assert _stored(rt)[0] == WEEKDAYS
    done = strict.post(url, json={"otp": bea.code()}, headers=bea.headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["outcome"] == "approved" and done.get_json()["decided_by"] == "bea"
    assert _stored(rt)[0] == EVERY_DAY
    assert not _schedule_findings(client, ana)
    assert client.post(url, json={}, headers=bea.headers).status_code == 409
    actions = _actions(rt)
    assert "account:change-requested" in actions and "account:change-approved" in actions


def test_the_security_lead_may_approve_and_an_author_may_not(rt, client, actors) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada, sol = actors.person("ada", "admin"), actors.person("sol", "security")
    ana = actors.person("ana", "author")
    change = client.patch(
        "/api/v1/accounts/acme", json={"windows": []}, headers=ada.headers
    ).get_json()
    assert change["widens"] == ["windows widened (mon 00:00 now allowed)"]
    url = f"/api/v1/account-changes/{change['id']}/approve"
    assert client.post(url, json={}, headers=ana.headers).status_code == 403
    assert client.post(url, json={}, headers=sol.headers).status_code == 200
    assert _stored(rt)[0] == []


def test_a_tightening_applies_at_once(rt, client, actors) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada = actors.person("ada", "admin")
    narrower = ["mon-fri 09:00-18:00"]
    answer = client.patch(
        "/api/v1/accounts/acme",
        json={"windows": narrower, "blackout_dates": ["2030-12-25"]},
        headers=ada.headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["windows"] == narrower
    assert _stored(rt) == (narrower, ["2030-12-25"])
    assert "account:change-requested" not in _actions(rt)


def test_removing_a_blackout_date_waits_and_can_be_denied(rt, client, actors) -> None:
    make_account(rt, "acme")
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    client.patch(
        "/api/v1/accounts/acme",
        json={"blackout_dates": ["2030-12-24", "2030-12-25"]},
        headers=ada.headers,
    )
    asked = client.patch(
        "/api/v1/accounts/acme", json={"blackout_dates": ["2030-12-25"]}, headers=ada.headers
    )
    assert asked.status_code == 202
    assert asked.get_json()["widens"] == ["blackout dates removed: 2030-12-24"]
    assert asked.get_json()["widens_text"] == ["dates interdites retirées\u00a0: 2030-12-24"]
    assert _stored(rt)[1] == ["2030-12-24", "2030-12-25"]
    denied = client.post(
        f"/api/v1/account-changes/{asked.get_json()['id']}/deny", json={}, headers=bea.headers
    )
    assert denied.status_code == 200 and denied.get_json()["outcome"] == "denied"
    assert _stored(rt)[1] == ["2030-12-24", "2030-12-25"]
    assert "account:change-denied" in _actions(rt)


def test_bad_input_names_the_field(rt, client, actors) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada = actors.person("ada", "admin")
    for body, field in (
        ({"windows": ["every day"]}, "window"),
        ({"windows": "mon-sun 00:00-23:59"}, "windows"),
        ({"blackout_dates": ["christmas"]}, "blackout_dates"),
    ):
        answer = client.patch("/api/v1/accounts/acme", json=body, headers=ada.headers)
        assert answer.status_code == 422 and answer.get_json()["field"] == field, answer.get_json()
    assert (
        client.post("/api/v1/account-changes/999/approve", json={}, headers=ada.headers).status_code
        == 404
    )
    assert _stored(rt)[0] == WEEKDAYS


def _settings(windows: str) -> dict[str, str]:
    return {
        "settings-timezone": "UTC",
        "settings-windows": windows,
        "settings-blackout_dates": "",
        "settings-approvals": "1",
    }


def test_the_account_page_says_a_widening_waits_and_another_admin_approves(
    rt, client, web, actors
) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada, bea = actors.create("ada", "admin"), actors.create("bea", "admin")
    web.login(ada, lang="fr")
    asked = web.submit(
        "/admin/accounts/acme", _settings("lun-dim 08:00-20:00"), page="/admin/accounts/acme"
    )
    assert asked.status_code == 302
    page = client.get("/admin/accounts/acme").get_data(as_text=True)
    assert "une deuxième personne (un autre administrateur" in page  # the flash, in French
    assert 'id="pending-changes"' in page and "/changes/1/approve" not in page
    assert _stored(rt)[0] == WEEKDAYS
    second = web.another()
    second.login(bea)
    assert "/admin/accounts/acme/changes/1/approve" in second.client.get(
        "/admin/accounts/acme"
    ).get_data(as_text=True)
    done = second.submit("/admin/accounts/acme/changes/1/approve", page="/admin/accounts/acme")
    assert done.status_code == 302
    assert _stored(rt)[0] == ["lun-dim 08:00-20:00"]
    page = second.client.get("/admin/accounts/acme").get_data(as_text=True)
    assert 'id="pending-changes"' not in page


def test_a_change_asked_before_a_later_tightening_cannot_undo_it(rt, client, actors) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    asked = client.patch("/api/v1/accounts/acme", json={"windows": EVERY_DAY}, headers=ada.headers)
    assert asked.status_code == 202
    later = client.patch(
        "/api/v1/accounts/acme", json={"blackout_dates": ["2030-12-25"]}, headers=bea.headers
    )
    assert later.status_code == 200
    narrower = client.patch(
        "/api/v1/accounts/acme", json={"windows": ["mon-fri 09:00-18:00"]}, headers=bea.headers
    )
    assert narrower.status_code == 200
    url = f"/api/v1/account-changes/{asked.get_json()['id']}/approve"
    stale = client.post(url, json={}, headers=bea.headers)
    assert stale.status_code == 409 and stale.get_json()["field"] == "id"
    assert _stored(rt) == (["mon-fri 09:00-18:00"], ["2030-12-25"])


def test_the_security_lead_approves_from_the_console(rt, client, web, actors) -> None:
    make_account(rt, "acme", windows=WEEKDAYS)
    ada = actors.person("ada", "admin")
    sam = actors.create("sam", "security")
    asked = client.patch("/api/v1/accounts/acme", json={"windows": EVERY_DAY}, headers=ada.headers)
    change_id = asked.get_json()["id"]
    web.login(sam, lang="fr")
    page = client.get("/security").get_data(as_text=True)
    assert 'id="account-changes"' in page and "Plages de publication demandées" in page
    done = web.submit(f"/security/account-changes/{change_id}/approve", page="/security")
    assert done.status_code == 302
    assert _stored(rt)[0] == EVERY_DAY
    assert 'id="account-changes"' not in client.get("/security").get_data(as_text=True)
