"""``/metrics``: figures read from the store and Redis, shown only to the operator's scraper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway import create_app
from postgate.platforms.base import CredentialsError, RetryableError
from postgate.store.models import Post, User
from tests.helpers import make_account
from workers.jobs import count_platform_error

REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


def _add_post(rt, account_id: int, author_id: int, status: str, late: float | None = None) -> None:
    scheduled = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with rt.store.transaction() as db:
        db.add(
            Post(
                account_id=account_id,
                author_id=author_id,
                text=f"{status} {late}",
                content_hash="0" * 64,
                status=status,
                scheduled_at=scheduled,
                published_at=None if late is None else scheduled + timedelta(seconds=late),
            )
        )


def _value(page: str, line_start: str) -> float:
    for line in page.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} not in the metrics page")


@pytest.fixture
def seeded(rt, actors):
    actors.create("amy", "author")
    account_id = make_account(rt, "acme")
    with rt.store.session() as db:
        author_id = db.scalar(select(User.id).where(User.username == "amy"))
    for late in (0.1, 0.4, 3.0):
        _add_post(rt, account_id, author_id, "published", late)
    _add_post(rt, account_id, author_id, "pending_review")
    return rt


def test_the_page_counts_posts_lateness_and_logins_from_the_store(seeded, client, actors):
    client.post("/api/v1/session", json={"username": "amy", "password": "wrong", "otp": "000000"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    page = response.get_data(as_text=True)
    assert _value(page, 'postgate_posts{account="acme",status="published"}') == 3
    assert _value(page, 'postgate_posts{account="acme",status="pending_review"}') == 1
    assert _value(page, 'postgate_publish_lateness_seconds_bucket{le="0.25"}') == 1
    assert _value(page, 'postgate_publish_lateness_seconds_bucket{le="0.5"}') == 2
    assert _value(page, 'postgate_publish_lateness_seconds_bucket{le="+Inf"}') == 3
    assert _value(page, "postgate_publish_lateness_seconds_sum") == pytest.approx(3.5)
    assert _value(page, "postgate_login_failures_total") == 1
    assert _value(page, 'postgate_source_up{source="store"}') == 1
    assert _value(page, 'postgate_source_up{source="redis"}') == 1
    assert 'postgate_queue_jobs{queue="postgate-publish",state="scheduled"}' in page


def test_platform_errors_counted_by_any_worker_show_on_every_web_process(rt, client):
    count_platform_error(rt, "mastodon", RetryableError("slow down", status=429))
    count_platform_error(rt, "mastodon", RetryableError("slow down", status=429))
    count_platform_error(rt, "bluesky", CredentialsError("revoked", status=401))
    page = client.get("/metrics").get_data(as_text=True)
    rate = 'postgate_platform_errors_total{kind="rate_limited",platform="mastodon"}'
    assert _value(page, rate) == 2
    assert (
        _value(page, 'postgate_platform_errors_total{kind="credentials",platform="bluesky"}') == 1
    )


def test_a_remote_caller_needs_the_metrics_token(rt):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(metrics_token="s3cret"))
    client = app.test_client()
    assert client.get("/metrics", environ_base=REMOTE).status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", environ_base=REMOTE, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret"}
    assert client.get("/metrics", environ_base=REMOTE, headers=right).status_code == 200


def test_without_a_token_setting_only_direct_loopback_is_answered(client):
    assert client.get("/metrics", environ_base=REMOTE).status_code == 403
    assert (
        client.get(
            "/metrics", headers={"Authorization": "Bearer "}, environ_base=REMOTE
        ).status_code
        == 403
    )
    # A reverse proxy on the same machine: the peer is loopback, the caller is not.
    proxied = {"X-Forwarded-For": "198.51.100.4"}
    assert client.get("/metrics", headers=proxied).status_code == 403
    assert client.get("/metrics").status_code == 200


def test_redis_down_still_reports_the_store(rt):
    settings = rt.settings.with_overrides(redis_url="redis://127.0.0.1:1/0")
    app = create_app({"TESTING": True}, settings=settings)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _value(page, 'postgate_source_up{source="redis"}') == 0
    assert _value(page, 'postgate_source_up{source="store"}') == 1
    assert "postgate_claims_outstanding" in page


def test_a_stale_audit_checkpoint_shows_its_age(rt, client):
    from postgate.audit_checkpoint import write_checkpoint

    write_checkpoint(rt, "test")
    page = client.get("/metrics").get_data(as_text=True)
    assert 0 <= _value(page, "postgate_audit_checkpoint_age_seconds") < 60
    assert _value(page, "postgate_audit_head_seq") >= 0
