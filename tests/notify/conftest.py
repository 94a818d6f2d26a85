"""Fixtures for notification tests: a real SMTP server and webhook receiver, settings that
send the security channel to the receiver and e-mail through the server, people with
addresses and languages, and a real RQ worker run that drains the notification queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from tests.conftest import make_env, write_fast_config
from tests.helpers import drain_queue
from tests.notify.receivers import SmtpReceiver, WebhookReceiver
from tests.workers import conftest as worker_fixtures

workers = worker_fixtures.workers  # real worker processes, SIGKILLed by the tests

NOTIFY_SETTINGS = """
[security]
allow_private_urls = ["127.0.0.1"]

[notifications]
review_batch_seconds = {batch}
review_reminder_minutes = 60
retry_seconds = 1
lease_seconds = 2
max_attempts = 4
"""


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    from sandbox.server import running_sandbox

    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


@pytest.fixture
def batch_seconds() -> int:
    return 3600


@pytest.fixture
def env(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    redis: Redis,
    smtp: SmtpReceiver,
    hook: WebhookReceiver,
    batch_seconds: int,
) -> dict[str, str]:
    config = write_fast_config(tmp_path)
    config.write_text(config.read_text() + NOTIFY_SETTINGS.format(batch=batch_seconds))
    return make_env(
        tmp_path,
        database_url,
        redis_url,
        POSTGATE_CONFIG=str(config),
        POSTGATE_NOTIFY_URLS=hook.url("security"),
        POSTGATE_NOTIFY_SMTP_URL=smtp.url(),
    )


def drain(rt: Any, name: str = "postgate-notify") -> None:
    """Run the jobs now queued on ``name`` (the notifications by default), in this process,
    with a real RQ worker."""
    drain_queue(rt, name)


def set_prefs(rt: Any, username: str, **changes: Any) -> None:
    from postgate.notifications.channels import set_preferences
    from postgate.services.users import find_user

    with rt.store.transaction() as db:
        set_preferences(rt, db, find_user(db, username), changes)


def outbox(rt: Any) -> list[Any]:
    from sqlalchemy import select

    from postgate.store.models import OutboxMessage

    with rt.store.session() as db:
        rows = list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            db.expunge(row)
        return rows
