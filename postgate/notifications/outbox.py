"""Delivering the outbox: claim in the store, send, record, audit.

A row moves ``pending`` → ``sending`` (claimed: a compare-and-set on the row, with a fresh
token and the time, committed before anything is sent) → ``sent``; a failed attempt goes
back to ``pending`` with an exponential backoff (``notify_retry_seconds`` doubled per
attempt, at most an hour), and after ``notify_max_attempts`` to ``failed``. Every outcome is
audited (``notify:sent``, ``notify:retry``, ``notify:failed``) in the transaction that
records it.

Two jobs for one row (a retried job, the reconciler's copy) cannot both claim it. A worker
killed while sending leaves the row ``sending``; once its lease (``notify_lease_seconds``)
runs out the reconciler queues it again and the next claim sends it. Redis holds only the
jobs: after a flush the reconciler queues every due row again from the store.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from postgate import queue
from postgate.audit import Event
from postgate.notifications import channels, sending
from postgate.notifications.kinds import Kind
from postgate.notifications.messages import Message, render
from postgate.notifications.router import safe
from postgate.observability import counters
from postgate.states import OutboxStatus, PostStatus, Role
from postgate.store.db import rows_changed
from postgate.store.models import Approval, Notification, OutboxMessage, Post, User
from postgate.store.types import utcnow

if TYPE_CHECKING:
    from postgate.runtime import Runtime

BACKOFF_CAP = 3600
DIGEST_LINES = 20


@dataclass(frozen=True)
class Claimed:
    id: int
    token: str
    attempts: int
    channel: str


def _claimable(now: datetime, lease: int) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now),
        and_(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - timedelta(seconds=lease),
        ),
    )


def claim(rt: Runtime, outbox_id: int) -> Claimed | None:
    """Take the row for one attempt, or None when it is not due, done, or held by a live
    claim."""
    now, token = utcnow(), secrets.token_hex(16)
    with rt.store.transaction() as db:
        taken = rows_changed(
            db,
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, _claimable(now, rt.settings.notify_lease_seconds))
            .values(
                status=OutboxStatus.SENDING,
                claim_token=token,
                claimed_at=now,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False),
        )
        if not taken:
            return None
        row = db.get(OutboxMessage, outbox_id)
        assert row is not None
        return Claimed(outbox_id, token, row.attempts, row.channel)


def compose(rt: Runtime, db: Session, row: OutboxMessage) -> Message | None:
    """The message as it reads now; None when there is nothing left to say (the posts were
    reviewed meanwhile, the reminded post got its approvals)."""
    params = dict(row.params or {})
    if row.kind == Kind.REVIEW_DIGEST:
        lines = _awaiting(db, row.user_id, rt.settings.public_url or "")
        if not lines:
            return None
        params |= {"count": len(lines), "lines": "\n".join(lines[:DIGEST_LINES])}
    elif row.kind == Kind.REVIEW_REMINDER:
        missing = _missing_approvals(db, params)
        if missing <= 0:
            return None
        params["missing"] = missing
    return render(row.kind, params, row.language, rt.settings.public_url or "")


def _awaiting(db: Session, user_id: int | None, base: str) -> list[str]:
    """One line per post awaiting review that ``user_id`` may review (any, for a channel of
    the organisation), oldest first, with its direct link."""
    query = select(Post).where(Post.status == PostStatus.PENDING_REVIEW).order_by(Post.id)
    user = db.get(User, user_id) if user_id is not None else None
    if user_id is not None:
        if user is None or user.disabled or not user.has_role(Role.REVIEWER):
            return []
        query = query.where(Post.author_id != user_id)
    return [
        f"#{p.id} {p.account.name} ({p.author.username}): {base}/review/{p.id}"
        for p in db.scalars(query)
    ]


def _missing_approvals(db: Session, params: dict[str, object]) -> int:
    post = db.get(Post, int(str(params.get("post", 0))))
    if post is None or post.status != PostStatus.PENDING_REVIEW:
        return 0
    if post.revision != params.get("revision"):
        return 0
    valid = db.scalars(
        select(Approval).where(
            Approval.post_id == post.id,
            Approval.voided_at.is_(None),
            Approval.content_hash == post.content_hash,
        )
    ).all()
    return post.account.approvals_required - len(valid)


def finish(rt: Runtime, claimed: Claimed, error: str, *, skipped: bool = False) -> str:
    """Record the attempt's outcome under the claim; returns the row's new status ("" when
    the claim was lost meanwhile)."""
    now = utcnow()
    with rt.store.transaction() as db:
        row = db.get(OutboxMessage, claimed.id)
        if row is None or row.claim_token != claimed.token:
            return ""
        row.claim_token = None
        if not error:
            row.status = OutboxStatus.SKIPPED if skipped else OutboxStatus.SENT
            row.sent_at = now
            event = Event.NOTIFY_SENT
        elif row.attempts >= rt.settings.notify_max_attempts:
            row.status = OutboxStatus.FAILED
            event = Event.NOTIFY_FAILED
        else:
            row.status = OutboxStatus.PENDING
            row.due_at = now + timedelta(seconds=backoff(rt, row.attempts))
            event = Event.NOTIFY_RETRY
        row.last_error = safe(error)
        rt.audit(
            db,
            event,
            actor="worker",
            target=f"notification:{row.id}",
            details={
                "channel": row.channel.partition(":")[0],
                "kind": row.kind,
                "attempt": row.attempts,
                "error": row.last_error,
                "skipped": skipped,
            },
            result="ok" if not error else "failed",
        )
        return row.status


def backoff(rt: Runtime, attempts: int) -> int:
    return int(min(BACKOFF_CAP, rt.settings.notify_retry_seconds * 2 ** max(0, attempts - 1)))


def deliver_in_app(rt: Runtime, db: Session, row: OutboxMessage) -> bool:
    """A deferred in-app item (a reminder): written when due, if still worth saying."""
    if row.user_id is None or compose(rt, db, row) is None:
        return False
    db.add(
        Notification(user_id=row.user_id, kind=row.kind, params=row.params, audit_seq=row.audit_seq)
    )
    return True


def due_rows(rt: Runtime, horizon: timedelta) -> list[tuple[int, int, datetime]]:
    """(id, attempts, due_at) of every row the queues should hold: pending ones due within
    ``horizon`` and claims whose lease ran out."""
    now = utcnow()
    lease = now - timedelta(seconds=rt.settings.notify_lease_seconds)
    with rt.store.session() as db:
        rows = db.execute(
            select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.due_at).where(
                or_(
                    and_(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.due_at <= now + horizon,
                    ),
                    and_(
                        OutboxMessage.status == OutboxStatus.SENDING,
                        OutboxMessage.claimed_at < lease,
                    ),
                )
            )
        ).all()
    return [(r.id, r.attempts, r.due_at) for r in rows]


def deliver(rt: Runtime, outbox_id: int) -> str:
    """One attempt at one row: claim, compose, send, record. Returns the row's status after
    it, or "" when there was nothing to do (not due, done, or claimed by a live worker)."""
    claimed = claim(rt, outbox_id)
    if claimed is None:
        return ""
    error, skipped = _attempt(rt, claimed)
    status = finish(rt, claimed, error, skipped=skipped)
    counters.count(
        rt.redis,
        rt.settings.redis_prefix,
        counters.NOTIFICATIONS,
        channel=claimed.channel.partition(":")[0],
        result=status or "lost",
    )
    if status == OutboxStatus.PENDING:
        with rt.store.session() as db:
            row = db.get(OutboxMessage, outbox_id)
            if row is not None:
                queue.enqueue_notify(rt, row.id, row.attempts, row.due_at)
    return status


def _attempt(rt: Runtime, claimed: Claimed) -> tuple[str, bool]:
    """("", skipped) when delivered or nothing was left to say, else what went wrong."""
    with rt.store.transaction() as db:
        row = db.get(OutboxMessage, claimed.id)
        assert row is not None
        person = db.get(User, row.user_id) if row.user_id is not None else None
        if person is not None and person.disabled:
            return "", True  # revoked meanwhile: their channels hear nothing more
        if claimed.channel.startswith("inapp:"):
            return "", not deliver_in_app(rt, db, row)
        message = compose(rt, db, row)
        if message is None:
            return "", True
        url, entered = channels.channel_url(rt, db, row.channel)
    if url is None:
        return "", True  # the channel was removed or disabled meanwhile
    refused = channels.check_reachable(rt, url) if entered else ""
    if refused:
        return f"refused: {refused}", False
    return sending.send(url, message, claimed.id), False
