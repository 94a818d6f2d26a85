"""One request budget per account, in Redis: pace before the platform says 429 (issue 11).

Real Redis; the platform side is an ``httpx.MockTransport`` answering like Mastodon's rate
limiter (``X-RateLimit-*`` headers, a 429 with ``Retry-After``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from postgate.budget import Budget, PacedTransport, Priority, Quotas
from postgate.platforms.base import RetryableError
from postgate.platforms.spec import Quota


class Platform:
    """A fixed window of ``limit`` calls per ``period`` seconds, counting what it answers."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.start, self.used, self.refused, self.calls = 0.0, 0, 0, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = time.time()
        self.calls += 1
        if now >= self.start + self.period:
            self.start, self.used = now, 0
        reset = datetime.fromtimestamp(self.start + self.period, UTC).isoformat()
        if self.used >= self.limit:
            self.refused += 1
            headers = {"Retry-After": "1", "X-RateLimit-Remaining": "0"}
            return httpx.Response(429, headers=headers | self._limit(reset), json={})
        self.used += 1
        headers = {"X-RateLimit-Remaining": str(self.limit - self.used)} | self._limit(reset)
        return httpx.Response(200, headers=headers, json={})

    def _limit(self, reset: str) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Reset": reset}


def client(rt, platform, priority=Priority.PUBLISH, *, quotas=None, max_wait=30.0):
    budget = Budget(rt, 7, quotas or Quotas(), priority)
    transport = PacedTransport(
        httpx.MockTransport(platform), budget, platform="mastodon", max_wait=max_wait
    )
    return httpx.Client(transport=transport, base_url="https://mastodon.test")


def test_calls_slow_down_before_the_platform_says_429(rt):
    platform = Platform(limit=5, period=0.5)
    first, second = client(rt, platform), client(rt, platform)  # two processes, one budget
    started = time.monotonic()
    for i in range(24):
        assert (first if i % 2 else second).post("/api/v1/statuses").status_code == 200
    elapsed = time.monotonic() - started
    assert platform.refused == 0
    assert elapsed >= 2.0  # publishes keep one call of each window in reserve: 4 a window


def test_settling_calls_spend_the_reserve_that_publishes_leave(rt):
    platform = Platform(limit=5, period=30)
    publish, settle = client(rt, platform, max_wait=0.1), client(rt, platform, Priority.SETTLE)
    for _ in range(4):
        publish.post("/api/v1/statuses")
    with pytest.raises(RetryableError) as refused:
        publish.post("/api/v1/statuses")  # the last call of the window is not for publishes
    assert "paced" in refused.value.message and refused.value.retry_after > 20
    assert settle.get("/api/v1/accounts/1/statuses").status_code == 200  # a read-back gets it
    assert platform.calls == 5 and platform.refused == 0


def test_a_429_pauses_every_call_of_the_account_for_its_retry_after(rt):
    platform = Platform(limit=1, period=2)
    settle = client(rt, platform, Priority.SETTLE, max_wait=0.1)
    platform.used = platform.limit  # another client of the account spent the window
    platform.start = time.time()
    with pytest.raises(RetryableError):
        settle.get("/api/v1/accounts/1/statuses")  # refused, then paused: not sent again
    with pytest.raises(RetryableError) as paused:
        client(rt, platform, Priority.SETTLE, max_wait=0.1).post("/api/v1/statuses")
    assert paused.value.retry_after > 0.5
    assert platform.refused == 1  # nothing more was sent while the pause lasted


def test_the_documented_quota_holds_before_any_header_is_seen(rt):
    calls = []

    def silent(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    quotas = Quotas(calls=Quota(3, 60))
    publish = client(rt, silent, quotas=quotas, max_wait=0.1)
    publish.post("/api/v1/statuses")
    publish.post("/api/v1/statuses")
    with pytest.raises(RetryableError):
        publish.post("/api/v1/statuses")
    client(rt, silent, Priority.SETTLE, quotas=quotas).get("/api/v1/x")
    assert len(calls) == 3


def test_a_refused_read_is_sent_again_but_a_refused_write_is_not(rt):
    answers = iter([503, 503, 200, 503])
    seen = []

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(next(answers), json={})

    settle = client(rt, flaky, Priority.SETTLE)
    assert settle.get("/api/v1/accounts/1/statuses").status_code == 200
    assert settle.post("/api/v1/statuses").status_code == 503  # the caller reads it back
    assert seen == ["GET", "GET", "GET", "POST"]


def test_an_epoch_reset_and_a_delay_reset_are_both_read():
    from postgate.platforms.ratelimit import announced_window

    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    epoch = str(int((now + timedelta(seconds=90)).timestamp()))
    bluesky = httpx.Headers(
        {"RateLimit-Limit": "3000", "RateLimit-Remaining": "7", "RateLimit-Reset": epoch}
    )
    draft = httpx.Headers(
        {"RateLimit-Limit": "10", "RateLimit-Remaining": "99", "RateLimit-Reset": "30"}
    )
    assert announced_window(bluesky, lambda: now).reset_in == pytest.approx(90)
    window = announced_window(draft, lambda: now)
    assert (window.remaining, window.reset_in) == (10, 30)
    assert announced_window(httpx.Headers({"X-RateLimit-Limit": "x"}), lambda: now) is None


def test_a_call_whose_process_died_is_not_taken_off_the_platforms_count_twice(rt):
    """A worker killed while its calls waited for answers leaves them in flight for a
    minute; the platform counted them when they arrived, so the next answer's ``remaining``
    already includes them (a resumed takedown lost its window's last deletions otherwise)."""
    platform = Platform(limit=10, period=60)
    quotas = Quotas(calls=Quota(10, 60))
    budget = Budget(rt, 7, quotas, Priority.SETTLE)
    for _ in range(3):  # the dead process's calls: counted here, and by the platform
        token, wait = budget.try_acquire("POST")
        assert token and wait == 0
        platform(httpx.Request("POST", "https://mastodon.test/api/v1/statuses"))
    time.sleep(0.05)  # the takedown resumes later (seconds later in life: its lease ran out)
    resumed = client(rt, platform, Priority.SETTLE, quotas=quotas, max_wait=0.1)
    for _ in range(7):  # the 7 the platform has left, every one of them
        assert resumed.post("/api/v1/statuses").status_code == 200
    assert platform.used == 10 and platform.refused == 0


def test_calls_counted_in_one_millisecond_keep_their_order(rt):
    """The answer to a call takes off the platform's ``remaining`` only the calls counted
    after it; calls counted within one millisecond (the usual case for a burst) must still
    be told apart, or a dead process's calls are taken off twice after all."""
    budget = Budget(rt, 8, Quotas(calls=Quota(1000, 60)), Priority.SETTLE)
    tokens = [budget.try_acquire("GET")[0] for _ in range(50)]
    flight = rt.redis.zrange(rt.key("budget", 8, "calls") + ":flight", 0, -1, withscores=True)
    assert [member.decode() for member, _ in flight] == tokens
    scores = [score for _, score in flight]
    assert len(set(scores)) == len(scores)


def test_a_call_sent_just_before_another_and_unanswered_is_taken_off_its_remaining(rt):
    """Two processes send at about the same time: the first's call is still on its way when
    the second's answer says ``remaining``. It may reach the platform after, so the budget
    takes it off: what the budget then lets through at once is what the platform has left,
    not one more that meets a 429."""
    platform = Platform(limit=4, period=60)

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)  # a round trip: the other process's call is sent meanwhile
        return platform(request)

    quotas = Quotas(calls=Quota(4, 60))
    budget = Budget(rt, 9, quotas, Priority.SETTLE)
    other, wait = budget.try_acquire("POST")  # counted first, reaches the platform after
    assert other and wait == 0
    paced = PacedTransport(httpx.MockTransport(slow), budget, platform="mastodon", max_wait=0.1)
    with httpx.Client(transport=paced, base_url="https://mastodon.test") as first:
        assert first.post("/api/v1/statuses").status_code == 200  # its answer: 3 remaining
    platform(httpx.Request("POST", "https://mastodon.test/api/v1/statuses"))  # other arrives
    assert platform.limit - platform.used == 2
    granted = [budget.try_acquire("POST")[0] for _ in range(4)]  # several processes at once
    assert len([token for token in granted if token]) == 2
