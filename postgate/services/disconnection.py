"""An account Postgate can no longer act for: ``disconnected``, its posts waiting.

A token the platform refuses (while publishing, or when the refresh job asks for a new one)
or one that ended makes the account ``disconnected`` (:func:`disconnect`), audited as
``account:disconnected`` so the admins hear of it. Nothing of the account is given up: its
scheduled posts stay ``scheduled`` (the publish job does not call the platform for them and
says on each post why it waits; the reconciler stops queueing them), and reconnecting the
account (new credentials, or the platform's consent again) queues them again
(:func:`resume_posts`).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from postgate import queue
from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.services.names import canonical_name
from postgate.states import AccountStatus, PostStatus
from postgate.store.models import Account, Post
from postgate.store.types import utcnow

log = logging.getLogger("postgate.disconnection")


def waiting_reason(account_name: str) -> str:
    """What a post of a disconnected account says while it waits."""
    return f"waiting: account {account_name} is disconnected; it publishes once reconnected"


def disconnect(rt: Runtime, account_id: int, reason: str) -> bool:
    """Mark an active account ``disconnected`` (its posts wait) and tell the admins."""
    with rt.store.transaction() as db:
        return disconnect_in(rt, db, account_id, reason)


def disconnect_in(rt: Runtime, db: Session, account_id: int, reason: str) -> bool:
    """:func:`disconnect` inside the caller's transaction; False when it was not active."""
    account = db.get(Account, account_id)
    if account is None or account.status != AccountStatus.ACTIVE:
        return False
    account.status = AccountStatus.DISCONNECTED
    waiting = db.scalar(
        select(func.count(Post.id)).where(
            Post.account_id == account_id, Post.status == PostStatus.SCHEDULED
        )
    )
    rt.audit(
        db,
        Event.ACCOUNT_DISCONNECTED,
        actor="worker",
        target=f"account:{account.name}",
        details={
            "status": AccountStatus.DISCONNECTED,  # what the notifications read
            "platform": account.platform,
            "reason": reason[:500],
            "posts_waiting": int(waiting or 0),
        },
        result="failed",
    )
    log.warning("account %s is disconnected: %s", account.name, reason)
    return True


def resume_posts(rt: Runtime, account_name: str) -> int:
    """Queue again the scheduled posts of a reconnected account; returns how many.

    Called after the reconnection is committed. When Redis does not answer, the reconciler
    queues them on its next pass (the account is no longer ``disconnected``)."""
    with rt.store.session() as db:
        rows = db.execute(
            select(Post.id, Post.revision, Post.attempts, Post.scheduled_at)
            .join(Account, Account.id == Post.account_id)
            .where(
                Account.name == canonical_name(account_name),
                Account.status == AccountStatus.ACTIVE,
                Post.status == PostStatus.SCHEDULED,
            )
        ).all()
    now = utcnow()
    try:
        for row in rows:
            when = row.scheduled_at if row.scheduled_at and row.scheduled_at > now else None
            queue.enqueue_publish(rt, row.id, row.revision, when, attempts=row.attempts)
    except RedisError:
        log.warning("account %s: the reconciler will queue its waiting posts", account_name)
    return len(rows)
