"""Reviewers get at most one message per batch period, reminders come before a scheduled
post's time only while it lacks approvals, and a channel that fails is retried with backoff,
each attempt audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import approve_post, make_account
from tests.notify.conftest import drain, outbox, set_prefs
from tests.notify.receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def batch_seconds() -> int:
    return 60


@pytest.fixture
def team(rt, actors):
    make_account(rt, "acme")
    people = {
        "alice": actors.person("alice", "author"),
        "bob": actors.person("bob", "reviewer"),
    }
    set_prefs(rt, "bob", email="bob@example.org", language="en")
    return people


def submit(client, person, text: str, **extra) -> int:
    made = client.post(
        "/api/v1/posts", json={"account": "acme", "text": text, **extra}, headers=person.headers
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def move_due(rt, kind: str, seconds: float) -> None:
    """Move the due time of ``kind``'s pending rows ``seconds`` earlier (the clock the batch
    period, reminders and backoff read is the rows' ``due_at``), and queue them again in
    place of their scheduled jobs."""
    from postgate import queue
    from postgate.store.models import OutboxMessage

    with rt.store.transaction() as db:
        for row in db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind.startswith(kind), OutboxMessage.status == "pending"
            )
        ):
            row.due_at = row.due_at - timedelta(seconds=seconds)
            if row.due_at <= datetime.now(UTC):
                queue.enqueue_notify(rt, row.id, row.attempts, None, force=True)


def test_reviewers_get_one_message_per_batch_period(rt, client, team, smtp: SmtpReceiver):
    alice = team["alice"]
    submit(client, alice, "first")
    drain(rt)
    assert [m["Subject"] for m in smtp.messages] == ["1 post awaits your review"]
    submit(client, alice, "second")
    submit(client, alice, "third")
    drain(rt)
    assert len(smtp.messages) == 1, "the next message waits for the batch period"
    waiting = [r for r in outbox(rt) if r.status == "pending"]
    assert len(waiting) == 1, "one open digest covers every post submitted meanwhile"
    move_due(rt, "review.digest", 60)
    drain(rt)
    assert [m["Subject"] for m in smtp.messages][1:] == ["3 posts await your review"]
    assert all(f"/review/{n}" in smtp.texts()[1] for n in (1, 2, 3))


def test_a_reminder_comes_before_the_time_only_while_approvals_lack(
    rt, client, team, smtp: SmtpReceiver
):
    alice, bob = team["alice"], team["bob"]
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    lacking = submit(client, alice, "launch day", scheduled_at=later)
    approved = submit(client, alice, "launch eve", scheduled_at=later)
    assert approve_post(client, bob, approved).status_code == 200
    drain(rt)
    subjects = [m["Subject"] for m in smtp.messages]
    assert not any("lacks approvals" in s for s in subjects), "not yet: 3 h ahead"
    move_due(rt, "review.reminder", 2 * 3600 + 60)
    drain(rt)
    reminders = [m["Subject"] for m in smtp.messages if "lacks approvals" in m["Subject"]]
    assert len(reminders) == 1 and reminders[0].startswith(f"Post #{lacking} is due at ")
    with rt.store.session() as db:
        from postgate.store.models import Notification

        kinds = [n.kind for n in db.scalars(select(Notification).where(Notification.user_id == 2))]
    assert kinds.count("review.reminder") == 1, "the in-app list has it too, once"


def test_a_failing_channel_is_retried_with_backoff_and_audited(
    rt, client, team, hook: WebhookReceiver
):
    from postgate.audit import list_entries

    hook.fail = 1
    with rt.store.transaction() as db:
        from postgate.services import freezes
        from postgate.services.users import find_user

        freezes.set_freeze(rt, db, find_user(db, "bob"), "acme", "odd replies")
    drain(rt)
    row = next(r for r in outbox(rt) if r.channel.startswith("env:"))
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.due_at - row.claimed_at >= timedelta(seconds=1), "backoff: the retry waits"
    assert hook.received == []
    move_due(rt, "security.", 3600)
    drain(rt)
    row = next(r for r in outbox(rt) if r.channel.startswith("env:"))
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(hook.received) == 1
    with rt.store.session() as db:
        actions = [e.action for e in list_entries(db, target=f"notification:{row.id}")]
    assert actions == ["notify:retry", "notify:sent"]
