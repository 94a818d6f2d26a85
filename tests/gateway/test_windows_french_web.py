"""Posting windows typed in French on the account page: saved, checked, shown in the
reader's language, and a wrong one explained in French."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.store.models import Account
from tests.gateway.test_finding_i18n import plain
from tests.helpers import error_next_to, make_account

pytestmark = pytest.mark.store_neutral

SETTINGS = {
    "settings-timezone": "Europe/Paris",
    "settings-blackout_dates": "",
    "settings-approvals": "1",
}


def _save(web, windows: str):
    return web.submit("/admin/accounts/acme", {**SETTINGS, "settings-windows": windows})


def test_french_windows_are_saved_and_shown_in_each_language(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    admin = actors.create("ada", "admin")
    web.login(admin, lang="fr")
    assert _save(web, "Lundi-Vendredi 08:00-20:00\nsamedi 10:00-12:00").status_code == 302
    with rt.store.session() as db:
        account = db.query(Account).filter_by(name="acme").one()
        assert account.windows == ["Lundi-Vendredi 08:00-20:00", "samedi 10:00-12:00"]
    french = plain(client.get("/admin/accounts").get_data(as_text=True))
    assert "lun.-ven. 08:00-20:00, sam. 10:00-12:00" in french
    web.logout()
    web.login(admin, lang="en")
    english = client.get("/admin/accounts").get_data(as_text=True)
    assert "Mon-Fri 08:00-20:00, Sat 10:00-12:00" in english


def test_a_french_window_holds_at_publish_time_like_an_english_one(rt) -> None:
    from postgate.services.accounts import validate_windows
    from rules import parse_window

    assert validate_windows(["lun-ven 08:00-20:00"]) == ["lun-ven 08:00-20:00"]
    saturday = datetime(2030, 3, 9, 10, 0, tzinfo=UTC)
    assert not parse_window("lun-ven 08:00-20:00").contains(saturday)


def test_a_wrong_window_is_explained_in_french(web, actors, rt) -> None:
    make_account(rt, "acme")
    web.login(actors.create("ada", "admin"), lang="fr")
    cases = {
        "semaine 08:00-20:00": "jour inconnu « semaine »",
        "lun-ven 8h-20h": "« 8h » n\u2019est pas une heure comme 08:00",
        "lun-ven 20:00-08:00": "la fin doit suivre le début",
        "lun-ven": "attendu quelque chose comme « lun-ven 08:00-20:00 »",
    }
    for window, french in cases.items():
        response = _save(web, window)
        assert response.status_code == 422
        said = plain(error_next_to(response.get_data(as_text=True), "settings-windows"))
        assert f"plage de publication « {window} »" in said and french in said, said


def test_the_api_says_it_in_english(client, actors, rt) -> None:
    make_account(rt, "acme")
    ada = actors.person("ada", "admin")
    answer = client.patch(
        "/api/v1/accounts/acme",
        json={"windows": ["semaine 08:00-20:00"], "otp": ada.code()},
        headers={**ada.headers, "Accept-Language": "fr"},
    )
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["field"] == "window"
    assert body["message"].startswith("posting window 'semaine 08:00-20:00': unknown day 'semaine'")
