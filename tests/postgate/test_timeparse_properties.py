"""Property-based tests (Hypothesis) of the time parser every API time goes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postgate.errors import ValidationFailed
from postgate.timeparse import EARLIEST, LATEST, local_to_utc, parse_aware

OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
ANY_TIME = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
IN_RANGE = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30), timezones=OFFSETS
)


@given(st.text() | st.integers() | st.none() | st.floats())
def test_anything_is_a_time_in_range_or_a_validation_error(value) -> None:
    try:
        when = parse_aware(value, "at")
    except ValidationFailed as exc:
        assert exc.field == "at" and exc.status == 422
        return
    assert when.tzinfo is UTC and EARLIEST <= when <= LATEST


@given(ANY_TIME, OFFSETS, st.sampled_from(["T", " "]))
def test_any_written_time_is_read_exactly_or_refused_with_its_field(local, offset, sep) -> None:
    written = local.replace(tzinfo=offset).isoformat(sep=sep)
    try:
        when = parse_aware(written, "scheduled_at")
    except ValidationFailed as exc:
        assert exc.field == "scheduled_at"
        assert not EARLIEST <= local.replace(tzinfo=offset) <= LATEST
        return
    assert when == local.replace(tzinfo=offset)


@given(IN_RANGE)
def test_round_trip_through_iso_8601_and_z(when: datetime) -> None:
    assert parse_aware(when.isoformat(), "at") == when
    utc = when.astimezone(UTC)
    assert parse_aware(utc.isoformat().replace("+00:00", "Z"), "at") == utc


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31)))
def test_a_naive_time_is_refused(naive: datetime) -> None:
    with pytest.raises(ValidationFailed):
        parse_aware(naive.isoformat(), "at")


@given(ANY_TIME, st.sampled_from(["UTC", "Europe/Paris", "Pacific/Kiritimati", "America/Adak"]))
def test_a_wall_clock_time_in_any_zone_is_converted_or_refused(local, zone) -> None:
    try:
        when = local_to_utc(local, zone, "scheduled_at")
    except ValidationFailed as exc:
        assert exc.field == "scheduled_at"
        return
    assert when.tzinfo is UTC and EARLIEST <= when <= LATEST
