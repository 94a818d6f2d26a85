"""The publish job: claim, check again, call the platform once, record, audit.

RQ may run a job twice, late, or for a revision that no longer exists, so the job takes ids
and trusts only the store (see :mod:`postgate.services.publishing`). Platform errors are
handled here: retryable ones go back to ``scheduled`` with a backoff that honours
``Retry-After``; when the outcome of a call is unknown the claim is kept and resolved by
reading the account back before anything is tried again; permanent ones end in ``failed``
with the platform's reason. A 2xx answer that is not what the platform documents is such an
unknown outcome: the platform may have created the post, so it is never retried blindly.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import httpx
from sqlalchemy import select

from postgate import queue
from postgate.budget import Priority
from postgate.call_gate import GateClosed, PublishGate
from postgate.notifications.sending import warm_up as warm_notifications
from postgate.observability import counters
from postgate.platforms.base import (
    Connector,
    ConnectorError,
    CredentialsError,
    PermanentError,
    RemotePost,
    RetryableError,
)
from postgate.platforms.http import ssl_context
from postgate.platforms.media import MediaFile
from postgate.runtime import Runtime, process_runtime, share_runtime
from postgate.services.checking import current_ruleset, platform_limits
from postgate.services.credentials import connector_for_account
from postgate.services.freezes import active_freezes
from postgate.services.media_publish import MediaMismatch, StoreUploadMemo, files_for
from postgate.services.publishing import (
    Claim,
    ClaimOutcome,
    block_claim,
    claim_post,
    fail_claim,
    hold_for_retry,
    mark_published,
    out_of_retries,
    still_frozen,
    wait_for_reconnect,
)
from postgate.store.models import Account, Approval, Post
from postgate.store.types import utcnow
from rules import Context, Draft
from workers.claims import post_lease, settle_seconds
from workers.reconcile import resolve_if_stale
from workers.settling import Resolution

log = logging.getLogger("postgate.workers.publish")

BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0
EARLY_SLEEP = 3.0  # a job up to this early waits instead of being rescheduled
CALL_TIMEOUT = 10.0
PACING_WAIT = 20.0  # a publish waits this long for the request budget, else comes back later


def preload(rt: Runtime) -> None:
    """Warm what every job needs in the worker, before it forks work horses: settings, keys,
    the rule set and the imports, so a horse starts publishing at once."""
    share_runtime(rt)
    ssl_context()  # horses inherit the TLS context instead of each loading the CA bundle
    httpx.Client(verify=ssl_context()).close()  # imports httpcore and anyio once, here
    warm_notifications()  # Apprise's plugins: a second each horse would otherwise spend
    rt.vault.decrypt(rt.vault.encrypt("warm up"))  # loads the keys; OpenSSL's first use
    rt.audit_key  # noqa: B018
    _warm_store(rt)
    for text in ("warm up", "prêt ? 🚀"):  # the first evaluations build lazy matchers, and a
        current_ruleset(rt).evaluate(  # text beyond ASCII the grapheme tables (~50 ms)
            Draft(text=text, account="-", platform="sandbox"),
            Context(now=utcnow(), timezone="UTC", limits=platform_limits("sandbox")),
        )


def _warm_store(rt: Runtime) -> None:
    """Run the publish path's queries once in the worker (finding nothing), so the ORM's
    lazily built mapper and statement structures are inherited by every horse."""
    with rt.store.session() as db:
        db.get(Post, -1)
        db.scalars(select(Account).where(Account.id == -1)).all()
        db.scalars(select(Approval).where(Approval.post_id == -1)).all()
        active_freezes(db, -1)
    claim_post(rt, -1, 1, "warm-up")  # its own transaction, after the one above ended


def publish_post(post_id: int, revision: int, attempts: int | None = None) -> str:
    """RQ entry point; returns a short outcome for the job's result."""
    return publish(process_runtime(), post_id, revision, attempts)


def publish(rt: Runtime, post_id: int, revision: int, attempts: int | None = None) -> str:
    lease = post_lease(rt, post_id)
    if not lease.acquire():
        return "held: another worker holds the claim"
    try:
        result = claim_post(rt, post_id, revision, lease.token, attempt=attempts)
        if result.outcome == ClaimOutcome.HELD:  # a claim nobody holds any more is resolved first
            lease.release()
            outcome = resolve_if_stale(rt, post_id, enqueue=False)
            if outcome == Resolution.BUSY:  # another read-back of the account is under way
                return _come_back(rt, post_id, revision)
            if outcome != Resolution.RESCHEDULED or not lease.acquire():
                return f"claim {outcome or 'resolved'}"
            result = claim_post(rt, post_id, revision, lease.token, attempt=attempts)
        if result.outcome == ClaimOutcome.NOT_DUE and result.due_at is not None:
            wait = (result.due_at - utcnow()).total_seconds()
            if wait > early_sleep(rt):
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


def early_sleep(rt: Runtime) -> float:
    """How early a job may start and still wait for its post's instant (holding its worker
    meanwhile) rather than come back later: the look-ahead it was queued with
    (:func:`postgate.queue.ahead_of`), plus RQ's scheduler period and the second's rounding."""
    lookahead = min(rt.settings.publish_lookahead_seconds, queue.MAX_LOOKAHEAD)
    return max(EARLY_SLEEP, lookahead + 2.0)


def _come_back(rt: Runtime, post_id: int, revision: int) -> str:
    """Another process is reading the post's account back (it may settle this post too):
    come back in a second for the attempt the post is at, rather than hold a worker."""
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        attempts = post.attempts if post is not None else 0
    queue.reschedule_publish(rt, post_id, revision, utcnow() + timedelta(seconds=1), attempts)
    return "held: the account is being read back; back in a second"


def _call_platform(rt: Runtime, claim: Claim) -> str:
    """The platform call through the freeze gate, and what follows from its answer; the
    post stays marked in flight at the gate until its outcome is stored."""
    gate = PublishGate(rt, claim.post_id, claim.account.id, crisis=claim.crisis)
    try:
        return _call_through(rt, claim, gate)
    finally:
        gate.leave()


def _call_through(rt: Runtime, claim: Claim, gate: PublishGate) -> str:
    """The one platform call, outside any transaction, and what follows from its answer."""
    try:
        connector = connector_for_account(
            rt,
            claim.account,
            timeout=CALL_TIMEOUT,
            priority=Priority.PUBLISH,
            max_wait=PACING_WAIT,
            gate=gate,
        )
    except CredentialsError as exc:
        return wait_for_reconnect(rt, claim, exc)
    except ValueError as exc:  # configuration (unknown platform, no base URL)
        return fail_claim(rt, claim, PermanentError(str(exc)))
    try:
        media = files_for(rt, claim)  # the bytes, re-read and checked against the approval
    except MediaMismatch as exc:
        connector.close()
        return block_claim(rt, claim, exc.reason)
    with connector:
        answer = _publish_once(connector, claim, media, StoreUploadMemo(rt, claim))
    if gate.refused:  # a freeze closed the gate: the create was not sent
        return _gate_closed(rt, claim)
    if isinstance(answer, ConnectorError):
        count_platform_error(rt, claim.account.platform, answer)
    if isinstance(answer, RemotePost):
        mark_published(rt, claim.post_id, claim.token, answer, how="publish")
        return f"published {answer.remote_id}"
    if isinstance(answer, RetryableError):  # 429, 5xx, timeout, malformed: see _retry
        return _retry(rt, claim, answer)
    if isinstance(answer, CredentialsError):  # nothing published: waits for a reconnection
        return wait_for_reconnect(rt, claim, answer)
    if isinstance(answer, PermanentError):
        return fail_claim(rt, claim, answer)
    # An unmapped platform answer: it may have published, so treat it as an unknown outcome.
    unknown = RetryableError(answer.message, status=answer.status, outcome_unknown=True)
    return _retry(rt, claim, unknown)


def _publish_once(
    connector: Connector, claim: Claim, media: list[MediaFile], uploads: StoreUploadMemo
) -> RemotePost | ConnectorError:
    """Call ``publish`` once; any failure comes back as a connector error, none is raised.

    Connectors turn every answer they cannot read into a ``MalformedResponseError``; should
    anything else escape (a bug, an answer no check foresaw) the request did reach the
    platform, so it counts as a lost answer too: the claim stays and the account is read
    back before any retry. Never a blind retry, and never ``failed`` for a post that exists.
    """
    try:
        if not media:
            return connector.publish(
                claim.text, idempotency_key=claim.idempotency_key, key_time=claim.key_time
            )
        return connector.publish(
            claim.text,
            idempotency_key=claim.idempotency_key,
            key_time=claim.key_time,
            media=media,
            uploads=uploads,
        )
    except (ConnectorError, GateClosed) as exc:
        return exc if isinstance(exc, ConnectorError) else RetryableError(str(exc))
    except Exception as exc:  # see the docstring
        message = f"{connector.platform}: unreadable answer to the publish ({type(exc).__name__})"
        log.error("post %s: %s", claim.post_id, message)
        log.debug("post %s: publish raised", claim.post_id, exc_info=True)
        return RetryableError(message, outcome_unknown=True)


def _gate_closed(rt: Runtime, claim: Claim) -> str:
    """A freeze closed the gate before the create was sent: the freeze is in the store (it
    committed before it closed the gate), so the post is ``blocked``. Should it have been
    lifted meanwhile, the post goes back on the schedule, nothing having been sent."""
    if still_frozen(rt, claim):
        return "blocked: frozen (at the gate)"
    why = "the freeze gate was closed (a freeze since lifted, or Redis unreachable)"
    hold_for_retry(rt, claim, why, outcome_unknown=False)
    when = utcnow() + timedelta(seconds=1)
    queue.enqueue_publish(rt, claim.post_id, claim.revision, when, attempts=claim.attempts)
    return "gate closed by a freeze since lifted: retry"


def count_platform_error(rt: Runtime, platform: str, error: ConnectorError) -> None:
    """One more ``postgate_platform_errors`` of this platform and kind (see docs/operations.md)."""
    if isinstance(error, CredentialsError):
        kind = "credentials"
    elif isinstance(error, RetryableError):
        kind = (
            "rate_limited"
            if error.status == 429
            else "unknown_outcome"
            if error.outcome_unknown
            else "retryable"
        )
    else:
        kind = "permanent"
    counters.count(
        rt.redis, rt.settings.redis_prefix, counters.PLATFORM_ERRORS, platform=platform, kind=kind
    )


def backoff(attempts: int, retry_after: float | None) -> float:
    """Exponential (2, 4, 8 ... s, capped), never shorter than the platform asked."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    if retry_after is not None:
        delay = max(float(retry_after), 0.5)
    return delay


def _retry(rt: Runtime, claim: Claim, exc: RetryableError) -> str:
    due_since = claim.key_time or claim.claimed_at
    if not exc.outcome_unknown and out_of_retries(rt, claim.attempts, due_since, utcnow()):
        return fail_claim(rt, claim, exc, reason=f"gave up after {claim.attempts} attempts")
    when = utcnow() + timedelta(seconds=backoff(claim.attempts, exc.retry_after))
    if exc.outcome_unknown:  # come back once the claim can be read back as stale
        when = max(when, claim.claimed_at + timedelta(seconds=settle_seconds(rt) + 1))
    hold_for_retry(rt, claim, exc.message, outcome_unknown=exc.outcome_unknown)
    # With an unknown outcome the claim stays; the next attempt reads the account back first.
    queue.enqueue_publish(rt, claim.post_id, claim.revision, when, attempts=claim.attempts)
    log.info("post %s: %s; retry at %s", claim.post_id, exc.message, when.isoformat())
    return f"retry at {when.isoformat()}: {exc.message}"
