"""Posting windows typed in French ("lun-ven 08:00-20:00"), as a French team writes them."""

from datetime import UTC, datetime, time

import pytest

from rules import day_number, parse_window

SCHEDULE = """
[[rules]]
id = "schedule"
kind = "posting_window"
"""


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("lun-ven 08:00-20:00", range(5)),
        ("LUN-VEN 08:00-20:00", range(5)),
        ("lundi 08:00-20:00", {0}),
        ("Lundi,Mercredi 08:00-20:00", {0, 2}),
        ("lun.-ven. 08:00-20:00", range(5)),  # as Babel abbreviates them
        ("sam,dim 08:00-20:00", {5, 6}),
        ("samedi-dimanche 08:00-20:00", {5, 6}),
        ("vendredi-lundi 08:00-20:00", {4, 5, 6, 0}),
        ("mércredi 08:00-20:00", {2}),  # a stray accent is forgiven
        ("jeu 08:00-20:00", {3}),
        ("mardi 08:00-20:00", {1}),
        ("Monday-Friday 08:00-20:00", range(5)),
    ],
)
def test_french_and_long_day_names_parse(spec, days):
    window = parse_window(spec)
    assert window.days == frozenset(days)
    assert (window.start, window.end) == (time(8), time(20))


def test_a_word_that_is_no_day_is_still_refused_naming_both_languages():
    with pytest.raises(ValueError, match=r"unknown day 'semaine'.*lun, mar, mer"):
        parse_window("semaine 08:00-20:00")
    assert day_number("lu") is None
    assert day_number("Dimanche") == 6


def test_a_french_window_blocks_and_passes_like_the_english_one(rules):
    saturday = datetime(2025, 11, 29, 12, 0, tzinfo=UTC)
    wednesday = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
    french = ("lun-ven 08:00-20:00",)
    assert rules.check(SCHEDULE, "Bonjour", now=saturday, windows=french).blocked
    assert not rules.check(SCHEDULE, "Bonjour", now=wednesday, windows=french).blocked
