from datetime import UTC, date, datetime, time

import pytest

from rules import parse_window

SCHEDULE = """
[[rules]]
id = "schedule"
kind = "posting_window"
blackout_dates = [2025-12-25]

[[rules]]
id = "freeze"
kind = "freeze"
"""
WEEKDAYS = ("mon-fri 08:00-20:00",)


def test_parse_window_forms():
    window = parse_window("mon-fri 08:00-20:00")
    assert window.days == frozenset(range(5))
    assert (window.start, window.end) == (time(8), time(20))
    assert parse_window("Mon,Wed 09:00-17:30").days == frozenset({0, 2})
    assert parse_window("sat 10:00-14:00").days == frozenset({5})
    assert parse_window("fri-mon 00:00-24:00").days == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("weekdays 08:00-20:00", "unknown day 'weekdays'"),
        ("mon-fri 8h-20h", "'8h' is not a time"),
        ("mon-fri 20:00-08:00", "end must come after the start"),
        ("mon-fri", "expected something like"),
        ("mon 25:00-26:00", "is not a time"),
    ],
)
def test_parse_window_errors_say_what_is_wrong(spec, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_window(spec)


def test_inside_window_in_account_time_zone_passes(rules):
    # 07:30 UTC on a Wednesday is 08:30 in Paris.
    at = datetime(2025, 11, 26, 7, 30, tzinfo=UTC)
    result = rules.check(
        SCHEDULE, "Bonjour !", scheduled_at=at, windows=WEEKDAYS, timezone="Europe/Paris"
    )
    assert result.findings == ()


def test_outside_window_in_account_time_zone_blocks(rules):
    at = datetime(2025, 11, 26, 7, 30, tzinfo=UTC)  # 07:30 in London: too early
    result = rules.check(
        SCHEDULE, "Good morning!", scheduled_at=at, windows=WEEKDAYS, timezone="Europe/London"
    )
    assert result.blocked
    assert "outside the posting windows" in result.findings[0].message


def test_weekend_blocks_and_now_is_used_without_schedule(rules):
    saturday = datetime(2025, 11, 29, 12, 0, tzinfo=UTC)
    assert rules.check(SCHEDULE, "Hi", now=saturday, windows=WEEKDAYS).blocked
    assert not rules.check(SCHEDULE, "Hi", now=saturday).blocked  # no windows: any time


def test_org_blackout_date_is_read_in_account_time_zone(rules):
    # 23:30 UTC on 24 December is already Christmas Day in Paris.
    at = datetime(2025, 12, 24, 23, 30, tzinfo=UTC)
    assert not rules.check(SCHEDULE, "Joyeux Noël", scheduled_at=at).blocked
    result = rules.check(SCHEDULE, "Joyeux Noël", scheduled_at=at, timezone="Europe/Paris")
    assert "blackout" in result.findings[0].message


def test_account_blackout_date_blocks(rules):
    at = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
    result = rules.check(SCHEDULE, "Hi", scheduled_at=at, blackout_dates=(date(2025, 11, 26),))
    assert result.blocked


def test_bad_time_zone_or_window_blocks_instead_of_crashing(rules):
    assert rules.check(SCHEDULE, "Hi", timezone="Mars/Olympus").blocked
    assert rules.check(SCHEDULE, "Hi", windows=("someday",)).blocked


def test_naive_datetimes_are_refused(rules):
    with pytest.raises(ValueError, match="aware"):
        rules.check(SCHEDULE, "Hi", now=datetime(2025, 11, 26, 10, 0))


def test_freeze_blocks_all_but_crisis_statements(rules):
    assert rules.check(SCHEDULE, "Nouveau produit !", frozen=True).blocked
    statement = "Our account was compromised; please ignore recent posts."
    assert not rules.check(SCHEDULE, statement, frozen=True, crisis_statement=True).blocked
    assert not rules.check(SCHEDULE, "Nouveau produit !").blocked
