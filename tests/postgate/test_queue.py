"""Scheduling in RQ: a job never comes due before the time it was given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry

from postgate import queue


def test_not_before_rounds_fractions_up_and_keeps_whole_seconds() -> None:
    whole = datetime(2026, 11, 30, 12, 0, 16, tzinfo=UTC)
    assert queue.not_before(whole) == whole
    assert queue.not_before(whole + timedelta(microseconds=1)) == whole + timedelta(seconds=1)
    assert queue.not_before(whole.replace(microsecond=700_000)) == whole + timedelta(seconds=1)


def test_a_retry_due_mid_second_is_not_released_at_the_truncated_second(redis) -> None:
    """RQ stores whole seconds; 16.7 s must become 17 s, not 16 s (before Retry-After ends)."""
    from types import SimpleNamespace

    rt = SimpleNamespace(redis=redis)
    when = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=700_000)
    job_id = queue.reschedule_publish(rt, 41, 1, when, attempts=2)  # type: ignore[arg-type]
    registry = ScheduledJobRegistry(queue.PUBLISH_QUEUE, connection=redis)
    due = registry.get_scheduled_time(job_id)
    assert due.replace(tzinfo=UTC) >= when
