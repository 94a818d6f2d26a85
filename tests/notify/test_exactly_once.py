"""Exactly once, with real worker processes: a worker SIGKILLed while it sends, and a Redis
FLUSHALL before the jobs ran or after they did, neither lose nor repeat a message (the
outbox rows are claimed in the store; the reconciler queues again what is due)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from redis import Redis

from tests.helpers import wait_until
from tests.notify.conftest import outbox, set_prefs
from tests.notify.receivers import SmtpReceiver, WebhookReceiver
from tests.workers.conftest import WorkerPool


@pytest.fixture
def lead(rt, actors):
    actors.create("ada", "admin")
    actors.create("sec", "security")
    set_prefs(rt, "sec", email="sec@example.org", language="en")


def freeze(rt, reason: str) -> None:
    from postgate.services import freezes
    from postgate.services.users import find_user

    with rt.store.transaction() as db:
        freezes.set_freeze(rt, db, find_user(db, "ada"), None, reason)


def delivered(smtp: SmtpReceiver, hook: WebhookReceiver) -> list[str]:
    return smtp.ids() + hook.ids()


def assert_once_each(rt, smtp: SmtpReceiver, hook: WebhookReceiver, expected: int) -> None:
    wait_until(
        lambda: len(delivered(smtp, hook)) >= expected,
        20,
        lambda: f"{expected} messages; got {delivered(smtp, hook)}; rows {statuses(rt)}",
    )
    time.sleep(3)  # a lease and a few reconciler passes: nothing more may arrive
    ids = delivered(smtp, hook)
    assert len(ids) == expected, ids
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert {r.status for r in outbox(rt)} == {"sent"}


def statuses(rt) -> list[tuple[int, str, int]]:
    return [(r.id, r.status, r.attempts) for r in outbox(rt)]


@pytest.mark.postgresql_pass  # a crash shape of production's workers, on its store
def test_a_worker_killed_while_sending_loses_and_repeats_nothing(
    rt, lead, workers: WorkerPool, smtp: SmtpReceiver, hook: WebhookReceiver
):
    smtp.gate.armed = hook.gate.armed = True
    first = workers.start()
    freeze(rt, "phishing wave")
    wait_until(
        lambda: smtp.gate.arrived.is_set() or hook.gate.arrived.is_set(), 20, "a send to begin"
    )
    workers.kill(first)
    smtp.gate.release.set()
    hook.gate.release.set()
    assert delivered(smtp, hook) == [], "the killed send was never accepted"
    workers.start()
    assert_once_each(rt, smtp, hook, expected=2)
    assert "phishing wave" in "\n".join(smtp.texts() + hook.texts())
    assert max(attempts for _, _, attempts in statuses(rt)) == 2, "the killed attempt counted"


def test_a_redis_flush_before_or_after_delivery_loses_and_repeats_nothing(
    rt, lead, workers: WorkerPool, smtp: SmtpReceiver, hook: WebhookReceiver, redis: Redis
):
    freeze(rt, "leaked token")
    redis.flushall()  # the jobs are gone; the store still holds the outbox
    workers.start()
    assert_once_each(rt, smtp, hook, expected=2)
    redis.flushall()  # the results are gone too: nothing is sent again
    time.sleep(3)
    assert len(delivered(smtp, hook)) == 2
