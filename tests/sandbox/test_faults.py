"""Fault settings parsing, the rate limiter and the env helper (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import sandbox_env
from sandbox.faults import Faults, RateLimit, RateLimiter, parse_rate_limit, updated_faults
from sandbox.server import create_sandbox_app


def test_parse_rate_limit():
    assert parse_rate_limit("300/300") == RateLimit(300, 300.0)
    assert parse_rate_limit(" 5/0.5 ") == RateLimit(5, 0.5)
    for bad in ("abc", "5", "5/", "/5", "0/5", "5/0", "5/-1", "5/inf", "a/b"):
        with pytest.raises(ValueError, match="N/SECONDS"):
            parse_rate_limit(bad)


def test_rate_limiter_windows_per_key():
    limiter, rule = RateLimiter(), RateLimit(2, 10)
    assert limiter.hit("a", rule, now=100).remaining == 1
    assert limiter.hit("a", rule, now=101).remaining == 0
    refused = limiter.hit("a", rule, now=102)
    assert not refused.allowed
    assert refused.reset_at == 110
    assert refused.retry_after(102) == 8
    assert limiter.hit("b", rule, now=102).allowed
    assert limiter.hit("a", rule, now=110).allowed


def test_retry_after_is_at_least_one_second():
    decision = RateLimiter().hit("a", RateLimit(1, 0.2), now=0)
    assert decision.retry_after(0.1) == 1


def test_updated_faults_keeps_what_is_not_named():
    start = Faults(latency_ms=5, rate_limit=RateLimit(1, 1), error_rate=0.5)
    assert updated_faults(start, {"latency_ms": 0}) == Faults(0, RateLimit(1, 1), 0.5)
    assert updated_faults(start, {"rate_limit": None}).rate_limit is None


def test_factory_rejects_bad_settings(tmp_path):
    for options in ({"rate_limit": "abc"}, {"error_rate": 1.5}, {"latency_ms": -3}):
        with pytest.raises(ValueError):
            create_sandbox_app(tmp_path / "x.db", **options)


def test_sandbox_env_defaults_and_overrides():
    env = sandbox_env({})
    assert (env.url, env.host, env.port) == ("http://127.0.0.1:8765", "127.0.0.1", 8765)
    assert env.data_path == Path("instance/sandbox.db")
    env = sandbox_env({"POSTGATE_SANDBOX_URL": "http://0.0.0.0:9000/", "POSTGATE_INSTANCE": "/x"})
    assert (env.url, env.host, env.port, env.data_path) == (
        "http://0.0.0.0:9000",
        "0.0.0.0",
        9000,
        Path("/x/sandbox.db"),
    )
    for bad in ("ftp://h:1", "not a url", "http://h:99999"):
        with pytest.raises(ValueError, match="POSTGATE_SANDBOX_URL"):
            sandbox_env({"POSTGATE_SANDBOX_URL": bad})
