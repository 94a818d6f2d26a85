"""The store side of publishing: claiming a post, and every way a claim ends.

A worker may call the platform for a post only while it holds the post's claim: the row moved
from ``scheduled`` to ``publishing`` with the worker's ``claim_token``, in one conditional
UPDATE, so two workers (or a job run twice by RQ) can never both hold it. Every publish-time
check of invariant 4 runs inside that same transaction. A claim ends in one of four ways, each
a conditional UPDATE on the token, so a worker that lost its claim changes nothing:
``published`` (:func:`mark_published`, also after a read-back found the post), back to
``scheduled`` (:func:`hold_for_retry` after a failure that did not reach the platform,
:func:`release` after a read-back did not find it), ``failed`` (:func:`fail_claim`), or
``blocked`` (a check failed). After an answer that was lost or unreadable the claim is kept
(:func:`hold_for_retry` with ``outcome_unknown``, a column of the post): the account is read
back before anything is tried again (invariant 5). Who holds a claim, and when one is stale, is
the worker's business (the Redis lease in :mod:`workers.claims`).

Freeze immediacy (invariant 7), the contract with :mod:`postgate.services.freezes`: the claim
transaction locks the post's account row (``SELECT ... FOR UPDATE`` on PostgreSQL) before it
reads the freezes; whoever inserts a freeze must lock the same account row (every account row
for a global freeze) in the freeze's own transaction. A freeze committed before the claim is
therefore always seen, and a freeze that commits while a claim is being made waits for it. On
SQLite every transaction starts with ``BEGIN IMMEDIATE``, which serialises writers and gives the
same guarantee. The worker looks at the freezes once more right before the platform call
(:func:`still_frozen`).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from postgate.audit import Event
from postgate.content import content_hash
from postgate.notifications import recipients
from postgate.platforms.base import ConnectorError, RemotePost
from postgate.runtime import Runtime
from postgate.services.approvals import approvals_complete, valid_approvals
from postgate.services.checking import evaluate
from postgate.services.disconnection import disconnect_in, waiting_reason
from postgate.services.freezes import is_frozen
from postgate.services.media import draft_images, unread_images
from postgate.states import READ_BACK_NOTE, AccountStatus, PostStatus
from postgate.states import UNRESOLVED_NOTE as UNRESOLVED_NOTE  # named here by the tests
from postgate.store.db import rows_changed
from postgate.store.models import Account, Approval, Freeze, Post
from postgate.store.types import utcnow

log = logging.getLogger("postgate.publishing")

FROZEN = "frozen: publishing is suspended for this account"


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
    key_time: datetime | None = None  # see publish_key_time
    media: tuple[dict[str, Any], ...] = ()  # the post's images as approved (id, sha256, alt)
    uploads: dict[str, Any] = field(default_factory=dict)  # Post.media_uploads at the claim
    crisis: bool = False  # a crisis statement: it may publish during a freeze

    @property
    def idempotency_key(self) -> str:
        return publish_key(self.post_id, self.revision)


def publish_key(post_id: int, revision: int) -> str:
    """The idempotency key of a post's revision: every attempt sends the same one."""
    return f"postgate-{post_id}-r{revision}"


def out_of_retries(rt: Runtime, attempts: int, due_since: datetime, now: datetime) -> bool:
    """Whether a post that keeps failing in ways worth retrying is given up: after
    ``max_attempts`` attempts *and* once it has been due for ``retry_horizon_seconds``
    (6 hours), so a platform outage is waited out rather than turned into a failure."""
    horizon = timedelta(seconds=rt.settings.publish_retry_horizon_seconds)
    return attempts >= rt.settings.publish_max_attempts and now - due_since >= horizon


def publish_key_time(post: Post) -> datetime:
    """A moment fixed for the post's revision and close to when it goes out, from which a
    platform without idempotency keys makes a deterministic record key (Bluesky's TID): the
    scheduled time, else the last approval of this content, else the post's creation."""
    if post.scheduled_at is not None:
        return post.scheduled_at
    approved = [a.at for a in post.approvals if a.content_hash == post.content_hash]
    return max(approved, default=post.created_at)


class ClaimOutcome(enum.StrEnum):
    """How an attempt to claim a post ended."""

    CLAIMED = "claimed"
    BLOCKED = "blocked"  # a publish-time check failed: the post is ``blocked``
    FAILED = "failed"  # out of attempts: the post is ``failed``
    NOT_DUE = "not_due"
    NOT_SCHEDULED = "not_scheduled"  # gone, edited, or no longer ``scheduled``
    HELD = "held"  # another attempt holds the claim
    WAITING = "waiting"  # its account is disconnected: ``scheduled`` until it is reconnected


NOT_SCHEDULED, HELD = ClaimOutcome.NOT_SCHEDULED, ClaimOutcome.HELD

# Ends every claim: nothing is left unknown about the post's outcome.
SETTLED: dict[str, object] = {"outcome_unknown": False, "unresolved_reason": ""}


@dataclass(frozen=True)
class ClaimResult:
    """``claim`` when claimed; else why not (``not_due`` carries the time to come back)."""

    outcome: ClaimOutcome
    claim: Claim | None = None
    reason: str = ""
    due_at: datetime | None = None


def _lock_account_of(db: Session, post_id: int) -> Account | None:
    """The post's account row, locked for the transaction (the freeze contract above), in
    one round trip: the account is found through the post. None when the post is gone."""
    of_post = select(Post.account_id).where(Post.id == post_id).scalar_subquery()
    query = select(Account).where(Account.id == of_post)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Account)
    return db.scalars(query).one_or_none()


def _read_post(db: Session, post_id: int) -> Post | None:
    """The post as it is now (read after the account lock), with its approvals and their
    reviewers in the same round trip: the approval checks read all three."""
    query = (
        select(Post)
        .where(Post.id == post_id)
        .options(joinedload(Post.approvals).joinedload(Approval.reviewer))
        .execution_options(populate_existing=True)
    )
    return db.scalars(query).unique().one_or_none()


def claim_post(
    rt: Runtime, post_id: int, revision: int, token: str, *, attempt: int | None = None
) -> ClaimResult:
    """Check everything again and claim the post, in one transaction."""
    now = utcnow()
    with rt.store.transaction() as db:
        account = _lock_account_of(db, post_id)
        post = _read_post(db, post_id) if account is not None else None
        if (
            account is None
            or post is None
            or post.revision != revision
            or post.account_id != account.id
        ):
            return ClaimResult(NOT_SCHEDULED, reason="post gone or edited since")
        if post.status == PostStatus.PUBLISHING:
            return ClaimResult(HELD, reason="another attempt holds the claim")
        if post.status != PostStatus.SCHEDULED or post.revision != revision:
            return ClaimResult(NOT_SCHEDULED, reason=f"post is {post.status}")
        if attempt is not None and post.attempts != attempt:
            return ClaimResult(NOT_SCHEDULED, reason="a newer attempt is scheduled")
        if post.scheduled_at is not None and post.scheduled_at > now:
            return ClaimResult(ClaimOutcome.NOT_DUE, due_at=post.scheduled_at)
        if account.status == AccountStatus.DISCONNECTED:  # no platform call, never failed
            post.reason = waiting_reason(account.name)
            return ClaimResult(ClaimOutcome.WAITING, reason=post.reason)
        if out_of_retries(rt, post.attempts, publish_key_time(post), now):
            _give_up(rt, db, post, f"gave up after {post.attempts} attempts: {post.reason}")
            return ClaimResult(ClaimOutcome.FAILED, reason=post.reason)
        problem = publish_time_problem(rt, db, post, now)
        if problem:
            _block(rt, db, post, problem)
            return ClaimResult(ClaimOutcome.BLOCKED, reason=problem)
        claimed = rows_changed(
            db,
            update(Post)
            .where(
                Post.id == post_id, Post.status == PostStatus.SCHEDULED, Post.revision == revision
            )
            .values(
                status=PostStatus.PUBLISHING,
                claim_token=token,
                claimed_at=now,
                attempts=Post.attempts + 1,
                reason="",
                **SETTLED,
            )
            .execution_options(synchronize_session=False),
        )
        if claimed != 1:
            return ClaimResult(NOT_SCHEDULED, reason="claimed by another worker")
        attempts, text, key_time = post.attempts + 1, post.text, publish_key_time(post)
        media, uploads = tuple(post.media or ()), dict(post.media_uploads or {})
        db.expunge(account)
        claim = Claim(
            post_id,
            revision,
            token,
            account,
            text,
            attempts,
            now,
            key_time,
            media,
            uploads,
            crisis=bool(post.crisis_statement),
        )
        return ClaimResult(ClaimOutcome.CLAIMED, claim)


def publish_time_problem(rt: Runtime, db: Session, post: Post, now: datetime) -> str:
    """The first reason the post may not go out now (invariant 4), or "" when all holds."""
    account = post.account
    frozen = is_frozen(db, account.id)  # read once: the rules' context below says it too
    if frozen and not post.crisis_statement:
        return FROZEN
    if account.status != AccountStatus.ACTIVE:
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
    if unread_images(db, post.media or []):
        return "the text of an image is still being read"
    result = evaluate(
        rt,
        db,
        account,
        post.text,
        now,  # the window and blackout rules judge the actual moment of publishing
        crisis_statement=post.crisis_statement,
        exclude_post=post.id,
        now=now,
        images=draft_images(db, post.media or []),
        frozen=frozen,
    )
    if result.blocked:
        rules = ", ".join(f.rule for f in result.findings if f.severity == "block")
        return f"blocked by the rules at publish time ({rules})"
    return ""


def _block(rt: Runtime, db: Session, post: Post, reason: str) -> None:
    post.status, post.reason = PostStatus.BLOCKED, reason[:1000]
    post.claim_token, post.outcome_unknown, post.unresolved_reason = None, False, ""
    rt.audit(
        db,
        Event.POST_BLOCK,
        actor="worker",
        target=f"post:{post.id}",
        details={"reason": reason, "revision": post.revision, "at": "publish"},
    )


def block_claim(rt: Runtime, claim: Claim, reason: str) -> str:
    """A check made after the claim failed (an image's bytes): ``blocked``, with the reason."""
    with rt.store.transaction() as db:
        post = db.get(Post, claim.post_id)
        if post is None or post.claim_token != claim.token:
            return "claim lost"
        _block(rt, db, post, reason)
    return f"blocked: {reason}"


def _give_up(rt: Runtime, db: Session, post: Post, reason: str) -> None:
    post.status, post.reason, post.claim_token = PostStatus.FAILED, reason[:1000], None
    post.outcome_unknown, post.unresolved_reason = False, ""
    rt.audit(
        db,
        Event.POST_FAIL,
        actor="worker",
        target=f"post:{post.id}",
        details={"reason": reason, "attempts": post.attempts},
        result="failed",
    )


def still_frozen(rt: Runtime, claim: Claim) -> bool:
    """The last look before the platform call; on a freeze the claim becomes ``blocked``.

    The look itself is one statement (:func:`_may_go`); only when it does not clear the post
    is the post read again in a write transaction, which blocks it if a freeze holds."""
    if _may_go(rt, claim):
        return False
    with rt.store.transaction() as db:
        post = db.get(Post, claim.post_id)
        if post is None or post.claim_token != claim.token:
            return True
        if post.crisis_statement or not is_frozen(db, post.account_id):
            return False
        _block(rt, db, post, FROZEN)
        return True


def _may_go(rt: Runtime, claim: Claim) -> bool:
    """Whether the claim is still held and no freeze stops the post (a crisis statement
    passes), in one statement outside any transaction: on PostgreSQL an autocommit read,
    which sees every freeze committed before it, as the claim transaction's read did."""
    frozen = (
        select(Freeze.id)
        .where(
            Freeze.lifted_at.is_(None),
            or_(Freeze.account_id.is_(None), Freeze.account_id == Post.account_id),
        )
        .exists()
    )
    query = select(Post.claim_token, Post.crisis_statement, frozen).where(Post.id == claim.post_id)
    if rt.store.dialect == "postgresql":
        with rt.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(query).one_or_none()
    else:
        with rt.store.session() as db:
            row = db.execute(query).one_or_none()
    if row is None or row.claim_token != claim.token:
        return False
    return bool(row.crisis_statement) or not row[2]


def mark_published(rt: Runtime, post_id: int, token: str, remote: RemotePost, *, how: str) -> bool:
    """Record the platform's id, URL and time; only while ``token`` still holds the claim."""
    with rt.store.transaction() as db:
        done = rows_changed(
            db,
            update(Post)
            .where(
                Post.id == post_id, Post.status == PostStatus.PUBLISHING, Post.claim_token == token
            )
            .values(
                status=PostStatus.PUBLISHED,
                reason="",
                **SETTLED,
                remote_id=remote.remote_id,
                remote_url=remote.url,
                published_at=remote.created_at or utcnow(),
                claim_token=None,
            )
            .execution_options(synchronize_session=False),
        )
        if done:
            read = _read_for_notice(db, post_id)  # held: the session keeps it only weakly
            rt.audit(
                db,
                Event.POST_PUBLISH,
                actor="worker",
                target=f"post:{post_id}",
                details={"remote_id": remote.remote_id, "url": remote.url, "how": how},
            )
            del read
    if not done:
        log.error("post %s: published as %s but the claim was lost", post_id, remote.remote_id)
    return bool(done)


def _read_for_notice(db: Session, post_id: int) -> Post | None:
    """Read, before the audit entry, what announcing the post's outcome reads after it: the
    post with its account and author in one round trip, and the author's notification
    channels (:func:`postgate.notifications.recipients.prefetch`, for this transaction
    only). Appending the entry serialises writers until the commit, so what is read before
    it is not read while others wait."""
    post = db.scalars(
        select(Post)
        .where(Post.id == post_id)
        .options(joinedload(Post.account), joinedload(Post.author))
    ).one_or_none()
    if post is not None:
        recipients.prefetch(db, [post.author_id])
    return post


def hold_for_retry(rt: Runtime, claim: Claim, message: str, *, outcome_unknown: bool) -> None:
    """Record a failed attempt that may be tried again.

    Nothing happened on the platform: the claim goes and the post is ``scheduled`` again.
    The outcome is unknown: the claim stays, and the next attempt reads the account back.
    """
    reason = f"attempt {claim.attempts}: {message}"
    values: dict[str, object] = {"reason": reason[:1000], "outcome_unknown": outcome_unknown}
    if outcome_unknown:
        values["reason"] = reason[: 1000 - len(READ_BACK_NOTE)]
    else:
        values |= {"status": PostStatus.SCHEDULED, "claim_token": None}
    with rt.store.transaction() as db:
        db.execute(
            update(Post)
            .where(Post.id == claim.post_id, Post.claim_token == claim.token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def fail_claim(rt: Runtime, claim: Claim, exc: ConnectorError, *, reason: str = "") -> str:
    """The platform refused for good: ``failed``, with its reason."""
    message = f"{reason}: {exc.message}" if reason else exc.message
    with rt.store.transaction() as db:
        post = db.get(Post, claim.post_id)
        if post is None or post.claim_token != claim.token:
            return "claim lost"
        post.status, post.reason, post.claim_token = PostStatus.FAILED, message[:1000], None
        post.outcome_unknown, post.unresolved_reason = False, ""
        rt.audit(
            db,
            Event.POST_FAIL,
            actor="worker",
            target=f"post:{post.id}",
            details={"reason": message, "status": exc.status, "attempts": claim.attempts},
            result="failed",
        )
    return f"failed: {message}"


def wait_for_reconnect(rt: Runtime, claim: Claim, exc: ConnectorError) -> str:
    """The platform refused the account's credentials: nothing was published, so the claim
    goes, the post is ``scheduled`` again and waits, and the account is ``disconnected``."""
    with rt.store.transaction() as db:
        post = db.get(Post, claim.post_id)
        if post is None or post.claim_token != claim.token:
            return "claim lost"
        post.status, post.claim_token = PostStatus.SCHEDULED, None
        post.outcome_unknown, post.unresolved_reason = False, ""
        post.reason = f"{waiting_reason(post.account.name)} ({exc.message})"[:1000]
        disconnect_in(
            rt, db, post.account_id, f"the platform refused the credentials: {exc.message}"
        )
    return f"waiting: {exc.message}"


def release(rt: Runtime, post_id: int, token: str | None) -> tuple[int, int] | None:
    """Not on the platform after all: the claim goes, the post is ``scheduled`` again.

    Returns the post's revision and attempts to enqueue, or None when ``token`` no longer
    held the claim. The reason keeps what the last attempt heard (a lost or malformed
    answer), so a post that ends ``failed`` after its last attempt still says why.
    """
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        assert post is not None
        heard = post.reason
        reason = f"{heard}; not found on the account" if heard else ""
        done = rows_changed(
            db,
            update(Post)
            .where(
                Post.id == post_id, Post.status == PostStatus.PUBLISHING, Post.claim_token == token
            )
            .values(
                status=PostStatus.SCHEDULED,
                claim_token=None,
                reason=(reason or "an earlier attempt did not reach the platform")[:1000],
                **SETTLED,
            )
            .execution_options(synchronize_session=False),
        )
        db.refresh(post)
        return (post.revision, post.attempts) if done else None


def note_unresolved(rt: Runtime, post_id: int, token: str | None, why: str) -> None:
    """Say on the post that its outcome stays unknown because the account cannot be read
    back, so the people watching it know to look at the platform (it is never re-posted
    blindly). The note replaces an earlier one and keeps what the last attempt heard."""
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        if post is None or post.status != PostStatus.PUBLISHING or post.claim_token != token:
            return
        first = not post.unresolved_reason
        post.unresolved_reason = why[:1000] or "unknown"
        if first:  # the post now waits for a person: its author hears of it once
            rt.audit(
                db,
                Event.POST_UNRESOLVED,
                actor="worker",
                target=f"post:{post.id}",
                details={"reason": post.unresolved_reason},
            )
