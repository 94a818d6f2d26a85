"""The publish job: claim, check again, call the platform once, record, audit.

RQ may run a job twice, late, or for a revision that no longer exists, so the job takes ids
and trusts only the store (see :mod:`workers.claims`). Platform errors are handled here:
retryable ones go back to ``scheduled`` with a backoff that honours ``Retry-After``; when the
outcome of a call is unknown the claim is kept and resolved by reading the account back before
anything is tried again; permanent ones end in ``failed`` with the platform's reason. A 2xx
answer that is not what the platform documents is such an unknown outcome: the platform may
have created the post, so it is never retried blindly.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

import httpx
from sqlalchemy import update

from postgate import queue
from postgate.audit import Event
from postgate.platforms.base import (
    Connector,
    ConnectorError,
    CredentialsError,
    PermanentError,
    RemotePost,
    RetryableError,
)
from postgate.runtime import Runtime
from postgate.services.credentials import connector_for_account
from postgate.store.models import Post
from postgate.store.types import utcnow
from workers.claims import (
    READ_BACK_NOTE,
    Claim,
    claim_post,
    post_lease,
    settle_seconds,
    still_frozen,
)

log = logging.getLogger("postgate.workers.publish")

BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0
EARLY_SLEEP = 3.0  # a job up to this early waits instead of being rescheduled
CALL_TIMEOUT = 10.0

_runtimes: dict[int, Runtime] = {}
_shared: list[Runtime] = []


def runtime() -> Runtime:
    """The runtime for jobs: the worker's own when preloaded (a forked horse inherits it;
    its Redis client and database engine are rebuilt per process id), else a new one."""
    if _shared:
        return _shared[0]
    pid = os.getpid()
    if pid not in _runtimes:
        _runtimes.clear()
        _runtimes[pid] = Runtime.from_environment()
    return _runtimes[pid]


def preload(rt: Runtime) -> None:
    """Warm what every job needs in the worker, before it forks work horses: settings, keys,
    the rule set and the imports, so a horse starts publishing at once."""
    from postgate.platforms.http import ssl_context
    from postgate.services.checking import current_ruleset
    from rules import Context, Draft
    from workers import reconcile  # noqa: F401 - imported once here, not in every horse

    _shared[:] = [rt]
    ssl_context()  # horses inherit the TLS context instead of each loading the CA bundle
    httpx.Client(verify=ssl_context()).close()  # imports httpcore and anyio once, here
    rt.vault  # noqa: B018 - loads the keys
    rt.audit_key  # noqa: B018
    _warm_store(rt)
    current_ruleset(rt).evaluate(  # the first evaluation builds lazy matchers
        Draft(text="warm up", account="-", platform="sandbox"),
        Context(now=utcnow(), timezone="UTC"),
    )


def _warm_store(rt: Runtime) -> None:
    """Run the publish path's queries once in the worker (finding nothing), so the ORM's
    lazily built mapper and statement structures are inherited by every horse."""
    from sqlalchemy import select

    from postgate.services.freezes import active_freezes
    from postgate.store.models import Account, Approval

    with rt.store.session() as db:
        db.get(Post, -1)
        db.scalars(select(Account).where(Account.id == -1)).all()
        db.scalars(select(Approval).where(Approval.post_id == -1)).all()
        active_freezes(db, -1)
    claim_post(rt, -1, 1, "warm-up")  # its own transaction, after the one above ended


def publish_post(post_id: int, revision: int, attempts: int | None = None) -> str:
    """RQ entry point; returns a short outcome for the job's result."""
    return publish(runtime(), post_id, revision, attempts)


def publish(rt: Runtime, post_id: int, revision: int, attempts: int | None = None) -> str:
    from workers.reconcile import resolve_if_stale

    lease = post_lease(rt, post_id)
    if not lease.acquire():
        return "held: another worker holds the claim"
    try:
        result = claim_post(rt, post_id, revision, lease.token, attempt=attempts)
        if result.outcome == "held":  # a claim nobody holds any more is resolved first
            lease.release()
            outcome = resolve_if_stale(rt, post_id, enqueue=False)
            if outcome != "rescheduled" or not lease.acquire():
                return f"claim {outcome or 'resolved'}"
            result = claim_post(rt, post_id, revision, lease.token, attempt=attempts)
        if result.outcome == "not_due" and result.due_at is not None:
            wait = (result.due_at - utcnow()).total_seconds()
            if wait > EARLY_SLEEP:
                queue.reschedule_publish(rt, post_id, revision, result.due_at, attempts or 0)
                return f"not due: rescheduled for {result.due_at.isoformat()}"
            time.sleep(max(0.0, wait))
            result = claim_post(rt, post_id, revision, lease.token, attempt=attempts)
        if result.claim is None:
            return f"{result.outcome}: {result.reason}"
        if still_frozen(rt, result.claim):
            return "blocked: frozen"
        return _call_platform(rt, result.claim)
    finally:
        lease.release()


def _call_platform(rt: Runtime, claim: Claim) -> str:
    """The one platform call, outside any transaction, and what follows from its answer."""
    try:
        connector = connector_for_account(rt, claim.account, timeout=CALL_TIMEOUT)
    except CredentialsError as exc:
        return _fail(rt, claim, exc, disconnect=True)
    except ValueError as exc:  # configuration (unknown platform, no base URL)
        return _fail(rt, claim, PermanentError(str(exc)))
    with connector:
        answer = _publish_once(connector, claim)
    if isinstance(answer, RemotePost):
        mark_published(rt, claim.post_id, claim.token, answer, how="publish")
        return f"published {answer.remote_id}"
    if isinstance(answer, RetryableError):  # 429, 5xx, timeout, malformed: see _retry
        return _retry(rt, claim, answer)
    if isinstance(answer, CredentialsError):
        return _fail(rt, claim, answer, disconnect=True)
    if isinstance(answer, PermanentError):
        return _fail(rt, claim, answer)
    # An unmapped platform answer: it may have published, so treat it as an unknown outcome.
    unknown = RetryableError(answer.message, status=answer.status, outcome_unknown=True)
    return _retry(rt, claim, unknown)


def _publish_once(connector: Connector, claim: Claim) -> RemotePost | ConnectorError:
    """Call ``publish`` once; any failure comes back as a connector error, none is raised.

    Connectors turn every answer they cannot read into a ``MalformedResponseError``; should
    anything else escape (a bug, an answer no check foresaw) the request did reach the
    platform, so it counts as a lost answer too: the claim stays and the account is read
    back before any retry. Never a blind retry, and never ``failed`` for a post that exists.
    """
    try:
        return connector.publish(claim.text, idempotency_key=claim.idempotency_key)
    except ConnectorError as exc:
        return exc
    except Exception as exc:  # see the docstring
        message = f"{connector.platform}: unreadable answer to the publish ({type(exc).__name__})"
        log.error("post %s: %s", claim.post_id, message)
        log.debug("post %s: publish raised", claim.post_id, exc_info=True)
        return RetryableError(message, outcome_unknown=True)


def mark_published(rt: Runtime, post_id: int, token: str, remote: RemotePost, *, how: str) -> bool:
    """Record the platform's id, URL and time; only while ``token`` still holds the claim."""
    with rt.store.transaction() as db:
        done = db.execute(
            update(Post)
            .where(Post.id == post_id, Post.status == "publishing", Post.claim_token == token)
            .values(
                status="published",
                status_reason="",
                remote_id=remote.remote_id,
                remote_url=remote.url,
                published_at=remote.created_at or utcnow(),
                claim_token=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            rt.audit(
                db,
                Event.POST_PUBLISH,
                actor="worker",
                target=f"post:{post_id}",
                details={"remote_id": remote.remote_id, "url": remote.url, "how": how},
            )
    if not done:
        log.error("post %s: published as %s but the claim was lost", post_id, remote.remote_id)
    return bool(done)


def backoff(attempts: int, retry_after: float | None) -> float:
    """Exponential (2, 4, 8 ... s, capped), never shorter than the platform asked."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    if retry_after is not None:
        delay = max(float(retry_after), 0.5)
    return delay


def _retry(rt: Runtime, claim: Claim, exc: RetryableError) -> str:
    limit = rt.settings.publish_max_attempts
    if claim.attempts >= limit and not exc.outcome_unknown:
        return _fail(rt, claim, exc, reason=f"gave up after {claim.attempts} attempts")
    when = utcnow() + timedelta(seconds=backoff(claim.attempts, exc.retry_after))
    if exc.outcome_unknown:  # come back once the claim can be read back as stale
        when = max(when, claim.claimed_at + timedelta(seconds=settle_seconds(rt) + 1))
    with rt.store.transaction() as db:
        reason = f"attempt {claim.attempts}: {exc.message}"
        values: dict = {"status_reason": reason[:1000]}
        if exc.outcome_unknown:
            values["status_reason"] = reason[: 1000 - len(READ_BACK_NOTE)] + READ_BACK_NOTE
        if not exc.outcome_unknown:  # nothing happened on the platform: release the claim
            values |= {"status": "scheduled", "claim_token": None}
        db.execute(
            update(Post)
            .where(Post.id == claim.post_id, Post.claim_token == claim.token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    # With an unknown outcome the claim stays; the next attempt reads the account back first.
    queue.enqueue_publish(rt, claim.post_id, claim.revision, when, attempts=claim.attempts)
    log.info("post %s: %s; retry at %s", claim.post_id, exc.message, when.isoformat())
    return f"retry at {when.isoformat()}: {exc.message}"


def _fail(
    rt: Runtime,
    claim: Claim,
    exc: ConnectorError,
    *,
    disconnect: bool = False,
    reason: str = "",
) -> str:
    message = f"{reason}: {exc.message}" if reason else exc.message
    with rt.store.transaction() as db:
        post = db.get(Post, claim.post_id)
        if post is None or post.claim_token != claim.token:
            return "claim lost"
        post.status, post.status_reason, post.claim_token = "failed", message[:1000], None
        rt.audit(
            db,
            Event.POST_FAIL,
            actor="worker",
            target=f"post:{post.id}",
            details={"reason": message, "status": exc.status, "attempts": claim.attempts},
            result="failed",
        )
        if disconnect and post.account.status == "active":
            post.account.status = "disconnected"
            rt.audit(
                db,
                Event.ACCOUNT_CREDENTIALS,
                actor="worker",
                target=f"account:{post.account.name}",
                details={"status": "disconnected", "reason": exc.message},
                result="failed",
            )
    return f"failed: {message}"
