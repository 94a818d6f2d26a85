"""Claims on posts: the store-side half of "published once, not zero or two times".

A worker may call the platform for a post only while it holds the post's claim: the row moved
from ``scheduled`` to ``publishing`` with the worker's ``claim_token``, in one conditional
UPDATE, so two workers (or a job run twice by RQ) can never both hold it. Every publish-time
check of invariant 4 runs inside that same transaction.

While a worker holds a claim it also keeps a **lease** in Redis (``claim:<post>`` = token,
a few seconds' TTL, refreshed every second by a thread). A claim whose lease is gone, and
which is older than the settle time, belongs to a dead worker (or to an attempt whose outcome
is unknown): it is *stale*. A stale claim is resolved by reading the account's recent posts
back, never by publishing again blindly: found means ``published``; not found means back to
``scheduled`` for another attempt. Redis being flushed loses a lease for at most one heartbeat;
the stale check looks twice, a heartbeat apart, so a flush alone never makes a live claim stale.

Freeze immediacy (invariant 7), the contract with :mod:`postgate.services.freezes`: the claim
transaction locks the post's account row (``SELECT ... FOR UPDATE`` on PostgreSQL) before it
reads the freezes; whoever inserts a freeze must lock the same account row (every account row
for a global freeze) in the freeze's own transaction. A freeze committed before the claim is
therefore always seen, and a freeze that commits while a claim is being made waits for it. On
SQLite every transaction starts with ``BEGIN IMMEDIATE``, which serialises writers and gives the
same guarantee. The worker looks at the freezes once more right before the platform call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.content import content_hash
from postgate.queue import PUBLISH_TIMEOUT
from postgate.runtime import Runtime
from postgate.services.checking import evaluate
from postgate.services.freezes import is_frozen
from postgate.services.review import approvals_complete, valid_approvals
from postgate.store.models import Account, Post
from postgate.store.types import utcnow
from workers.lease import Lease

log = logging.getLogger("postgate.workers.claims")

LEASE_SECONDS = 6
HEARTBEAT_SECONDS = 1.0
HARD_STALE = timedelta(seconds=PUBLISH_TIMEOUT + 60)  # RQ has killed the job by then
READ_BACK_SLACK = timedelta(minutes=2)
# Ends the reason of a claim kept after an unknown outcome (lost or malformed answer).
READ_BACK_NOTE = " (outcome unknown: the account is read back before any retry)"


def settle_seconds(rt: Runtime) -> float:
    """How long after a claim its outcome may still be unknown (``claim_settle_seconds``)."""
    return float(rt.settings.claim_settle_seconds)


def lease_key(rt: Runtime, post_id: int) -> str:
    return rt.key("claim", post_id)


def post_lease(rt: Runtime, post_id: int) -> Lease:
    """The lease saying "a live worker holds post N's claim", refreshed every second.

    It survives a Redis flush (the heartbeat puts it back), so a flush alone never makes a
    live claim look stale; :func:`claim_is_stale` looks twice, a heartbeat apart.
    """
    return Lease(
        rt.redis,
        lease_key(rt, post_id),
        seconds=LEASE_SECONDS,
        heartbeat=HEARTBEAT_SECONDS,
        survive_flush=True,
    )


@dataclass(frozen=True)
class Claim:
    """What the worker needs for the platform call, read inside the claim transaction."""

    post_id: int
    revision: int
    token: str
    account: Account  # detached: read in the claim transaction, used for the call
    text: str
    attempts: int
    claimed_at: datetime

    @property
    def idempotency_key(self) -> str:
        return f"postgate-{self.post_id}-r{self.revision}"


@dataclass(frozen=True)
class ClaimResult:
    """``claim`` when claimed; else why not (``not_due`` carries the time to come back)."""

    outcome: str  # claimed | blocked | failed | not_due | not_scheduled | held
    claim: Claim | None = None
    reason: str = ""
    due_at: datetime | None = None


def lock_account(db: Session, account_id: int) -> Account:
    """The account row, locked for the transaction (the freeze contract above)."""
    query = select(Account).where(Account.id == account_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.scalars(query).one()


def claim_post(
    rt: Runtime, post_id: int, revision: int, token: str, *, attempt: int | None = None
) -> ClaimResult:
    """Check everything again and claim the post, in one transaction."""
    now = utcnow()
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        if post is None or post.revision != revision:
            return ClaimResult("not_scheduled", reason="post gone or edited since")
        account = lock_account(db, post.account_id)
        db.refresh(post)
        if post.status == "publishing":
            return ClaimResult("held", reason="another attempt holds the claim")
        if post.status != "scheduled" or post.revision != revision:
            return ClaimResult("not_scheduled", reason=f"post is {post.status}")
        if attempt is not None and post.attempts != attempt:
            return ClaimResult("not_scheduled", reason="a newer attempt is scheduled")
        if post.scheduled_at is not None and post.scheduled_at > now:
            return ClaimResult("not_due", due_at=post.scheduled_at)
        if post.attempts >= rt.settings.publish_max_attempts:
            give_up(rt, db, post, f"gave up after {post.attempts} attempts: {post.status_reason}")
            return ClaimResult("failed", reason=post.status_reason)
        problem = publish_time_problem(rt, db, post, now)
        if problem:
            block(rt, db, post, problem)
            return ClaimResult("blocked", reason=problem)
        claimed = db.execute(
            update(Post)
            .where(Post.id == post_id, Post.status == "scheduled", Post.revision == revision)
            .values(
                status="publishing",
                claim_token=token,
                claimed_at=now,
                attempts=Post.attempts + 1,
                status_reason="",
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return ClaimResult("not_scheduled", reason="claimed by another worker")
        attempts, text = post.attempts + 1, post.text
        db.expunge(account)
        return ClaimResult("claimed", Claim(post_id, revision, token, account, text, attempts, now))


def publish_time_problem(rt: Runtime, db: Session, post: Post, now: datetime) -> str:
    """The first reason the post may not go out now (invariant 4), or "" when all holds."""
    account = post.account
    if is_frozen(db, account.id) and not post.crisis_statement:
        return "frozen: publishing is suspended for this account"
    if account.status != "active":
        return f"account {account.name} is {account.status}"
    if not account.credentials_enc:
        return f"account {account.name} has no credentials"
    if not approvals_complete(post):
        return "approvals are no longer complete"
    expected = content_hash(
        account.name, post.text, post.scheduled_at, post.media or [], post.links or []
    )
    if expected != post.content_hash:
        return "content changed since it was hashed: not what was approved"
    if any(a.content_hash != expected for a in valid_approvals(post)):
        return "an approval is bound to other content"
    result = evaluate(
        rt,
        db,
        account,
        post.text,
        now,  # the window and blackout rules judge the actual moment of publishing
        crisis_statement=post.crisis_statement,
        exclude_post=post.id,
        now=now,
    )
    if result.blocked:
        rules = ", ".join(f.rule for f in result.findings if f.severity == "block")
        return f"blocked by the rules at publish time ({rules})"
    return ""


def block(rt: Runtime, db: Session, post: Post, reason: str) -> None:
    post.status, post.status_reason = "blocked", reason[:1000]
    post.claim_token = None
    rt.audit(
        db,
        Event.POST_BLOCK,
        actor="worker",
        target=f"post:{post.id}",
        details={"reason": reason, "revision": post.revision, "at": "publish"},
    )


def give_up(rt: Runtime, db: Session, post: Post, reason: str) -> None:
    post.status, post.status_reason, post.claim_token = "failed", reason[:1000], None
    rt.audit(
        db,
        Event.POST_FAIL,
        actor="worker",
        target=f"post:{post.id}",
        details={"reason": reason, "attempts": post.attempts},
        result="failed",
    )


def still_frozen(rt: Runtime, claim: Claim) -> bool:
    """The last look before the platform call; on a freeze the claim becomes ``blocked``."""
    with rt.store.transaction() as db:
        post = db.get(Post, claim.post_id)
        if post is None or post.claim_token != claim.token:
            return True
        if post.crisis_statement or not is_frozen(db, post.account_id):
            return False
        block(rt, db, post, "frozen: publishing is suspended for this account")
        return True


def claim_is_stale(rt: Runtime, post: Post, *, now: datetime | None = None) -> bool:
    """Whether a ``publishing`` claim belongs to nobody alive (see the module docstring)."""
    now = now or utcnow()
    if post.claimed_at is None:
        return True
    age = now - post.claimed_at
    if age >= HARD_STALE:
        return True
    if age < timedelta(seconds=settle_seconds(rt)):
        return False
    key = lease_key(rt, post.id)
    if rt.redis.exists(key):
        return False
    time.sleep(HEARTBEAT_SECONDS * 2)  # a flushed lease comes back within one heartbeat
    return not rt.redis.exists(key)
