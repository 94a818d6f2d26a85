"""The calendar shows, day by day, when the account may publish at all."""

from __future__ import annotations

import re

import pytest

from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


def _day(body: str, iso_day: str) -> str:
    """The head of one day's column, found by its position in a week starting on Monday."""
    cells = re.findall(r'<th scope="col" class="(?:today)?">(.*?)</th>', body, re.S)
    assert len(cells) == 7, "a week view has seven days"
    return cells[int(iso_day)]


def test_calendar_shows_each_days_posting_hours_and_closed_days(client, web, actors, rt) -> None:
    make_account(
        rt, "acme", timezone="Europe/Paris", windows=["mon-fri 08:00-12:00", "mon-fri 14:00-20:00"]
    )
    web.login(actors.create("ana", "author"))
    week = client.get("/calendar?account=acme&start=2030-12-23").get_data(as_text=True)  # Monday
    monday, sunday = _day(week, "0"), _day(week, "6")
    assert "08:00\u201312:00, 14:00\u201320:00" in monday and "tag-closed" not in monday
    assert "No posting window" in sunday and "tag-window" not in sunday


def test_calendar_of_an_account_without_windows_shows_no_restriction(
    client, web, actors, rt
) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    web.login(actors.create("ana", "author"))
    week = client.get("/calendar?account=acme&start=2030-12-23").get_data(as_text=True)
    assert "tag-window" not in week and "tag-closed" not in week


def test_calendar_in_french_names_closed_days_in_french(client, web, actors, rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris", windows=["sat 10:00-14:00"])
    web.login(actors.create("ana", "author"), lang="fr")
    week = client.get("/calendar?account=acme&start=2030-12-23").get_data(as_text=True)
    assert "10:00\u201314:00" in _day(week, "5")
    assert "Aucune plage de publication" in _day(week, "0")
