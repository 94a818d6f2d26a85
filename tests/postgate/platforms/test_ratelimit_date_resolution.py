"""A reset time is measured against the server's ``Date`` only where that corrects our
clock: ``Date`` holds whole seconds, so within its second our clock is the finer measure.
Waiting from the truncated ``Date`` made every deletion window of a takedown up to a second
longer (benchmarks/bench_takedown.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from postgate.platforms.ratelimit import retry_after

HEADERS = httpx.Headers(
    {"Date": "Mon, 30 Nov 2026 12:00:00 GMT", "X-RateLimit-Reset": "2026-11-30T12:00:10.000Z"}
)


@pytest.mark.parametrize(
    ("ours", "wait"),
    [
        (datetime(2026, 11, 30, 12, 0, 0, 700_000, tzinfo=UTC), 9.3),  # in step: our clock
        (datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC), 10.0),  # 5 s fast: the server's
        (datetime(2026, 11, 30, 11, 59, 59, 500_000, tzinfo=UTC), 10.0),  # slow: the server's
    ],
)
def test_the_date_header_corrects_our_clock_only_beyond_its_resolution(ours, wait):
    found = retry_after(
        HEADERS, reset_header="x-ratelimit-reset", reset_is_epoch=False, clock=lambda: ours
    )
    assert found == pytest.approx(wait)
