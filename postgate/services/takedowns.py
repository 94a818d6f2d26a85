"""Takedown of a hacked account: freeze, end sessions, then delete and keep the evidence.

The request does what must hold before it answers: the affected accounts are frozen (one
commit, under the same account-row locks the publish worker's claim takes), then every
session and API token but the caller's is ended (a second commit). The slow part, finding
and deleting posts on the platforms, runs in ``workers.takedown`` from the rows stored here,
so it survives a worker restart: each post is one item row, finished items are skipped.

A second takedown on an account that a running one covers joins it instead of racing it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import NotFound, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.accounts import find_account
from postgate.services.freezes import lock_accounts, set_freeze
from postgate.services.sessions import revoke_all_tokens
from postgate.services.users import find_user
from postgate.store.models import Account, Takedown, TakedownItem, User
from postgate.store.types import utcnow

OUTCOMES = ("pending", "deleted", "not_found", "failed")
CLOCK_SKEW = timedelta(minutes=5)
JOB_TIMEOUT = 24 * 3600  # rate limits like Mastodon's 30 deletions / 30 min make this long
JOB_TTL = 7 * 24 * 3600
RUN_FUNCTION = "workers.takedown.run_takedown"


@dataclass
class TakedownStart:
    """What ``POST /takedowns`` did: the takedown to follow and the running ones it joined."""

    takedown: Takedown
    created: bool
    joined: list[int] = field(default_factory=list)
    sessions_ended: int = 0


def start_takedown(
    rt: Runtime,
    actor_id: int,
    keep_token: int | None,
    account_names: list[str] | None,
    since: datetime,
    usernames: list[str] | None,
    *,
    source: str = "",
) -> TakedownStart:
    """Freeze (commit), end sessions (commit), then queue the job. Role and 2FA are checked."""
    if since > utcnow() + CLOCK_SKEW:
        raise ValidationFailed("since is in the future", field="since")
    with rt.store.transaction() as db:
        actor = db.get(User, actor_id)
        assert actor is not None
        accounts = _resolve_accounts(db, account_names)
        start = _create_or_join(rt, db, actor, accounts, since, source=source)
    if start.created:
        with rt.store.transaction() as db:
            start.sessions_ended = _end_sessions(
                rt, db, actor, keep_token, usernames, start.takedown.id, source=source
            )
        enqueue_quietly(rt, start.takedown.id)
    return start


def _resolve_accounts(db: Session, names: list[str] | None) -> list[Account]:
    if names is None:
        accounts = list(db.scalars(select(Account).order_by(Account.id)))
        if not accounts:
            raise ValidationFailed("there is no account to take down", field="accounts")
        return accounts
    if not names:
        raise ValidationFailed("accounts is empty; leave it out to mean all", field="accounts")
    found = {find_account(db, name, field="accounts").id: name for name in names}
    return [a for a in db.scalars(select(Account).order_by(Account.id)) if a.id in found]


def _create_or_join(
    rt: Runtime,
    db: Session,
    actor: User,
    accounts: list[Account],
    since: datetime,
    *,
    source: str,
) -> TakedownStart:
    """Under the account locks: join running takedowns, create one for what they miss."""
    lock_accounts(db, [a.id for a in accounts])
    running = db.scalars(select(Takedown).where(Takedown.status == "running")).all()
    covered = {aid: t.id for t in running for aid in t.account_ids}
    joined = sorted({covered[a.id] for a in accounts if a.id in covered})
    missing = [a for a in accounts if a.id not in covered]
    takedown: Takedown | None = None
    if missing:
        takedown = Takedown(
            created_by_id=actor.id,
            account_ids=[a.id for a in missing],
            since=since,
            status="running",
            phase="queued",
        )
        db.add(takedown)
        db.flush()
        rt.audit(
            db,
            Event.TAKEDOWN_START,
            actor=actor.username,
            target=f"takedown:{takedown.id}",
            details={
                "accounts": [a.name for a in missing],
                "since": since.isoformat(),
                "joined": joined,
            },
            source=source,
        )
    for account in accounts:
        reason = f"takedown #{takedown.id if takedown else covered[account.id]}"
        set_freeze(
            rt,
            db,
            actor,
            account.name,
            reason,
            source=source,
            takedown_id=takedown.id if takedown else covered[account.id],
        )
    if takedown is None:
        takedown = db.get(Takedown, joined[0])
        assert takedown is not None
        return TakedownStart(takedown, False, joined)
    return TakedownStart(takedown, True, joined)


def _end_sessions(
    rt: Runtime,
    db: Session,
    actor: User,
    keep_token: int | None,
    usernames: list[str] | None,
    takedown_id: int,
    *,
    source: str,
) -> int:
    """End sessions and API tokens (everyone's, or the named users'), but the caller's."""
    user_ids = None
    if usernames is not None:
        user_ids = [find_user(db, name).id for name in usernames]
    ended = revoke_all_tokens(db, user_ids, keep=keep_token)
    rt.audit(
        db,
        Event.TOKEN_REVOKE,
        actor=actor.username,
        target=f"takedown:{takedown_id}",
        details={"tokens_ended": ended, "users": usernames or "all", "kept": keep_token},
        source=source,
    )
    return ended


def load_takedown(db: Session, takedown_id: int) -> Takedown:
    takedown = db.get(Takedown, takedown_id)
    if takedown is None:
        raise NotFound(f"no takedown {takedown_id}", field="id")
    return takedown


def list_takedowns(db: Session, limit: int = 50) -> list[Takedown]:
    return list(db.scalars(select(Takedown).order_by(Takedown.id.desc()).limit(limit)))


def progress(db: Session, takedown: Takedown) -> dict[str, Any]:
    """Counts per outcome, overall and per account, from the item rows."""
    names = _account_names(db, takedown)
    per_account: dict[str, Counter[str]] = {names[a]: Counter() for a in takedown.account_ids}
    for item in takedown.items:
        per_account.setdefault(names.get(item.account_id, "?"), Counter())[item.outcome] += 1
    total: Counter[str] = Counter()
    accounts = {}
    for name, counts in per_account.items():
        total.update(counts)
        accounts[name] = _counts(counts)
    return {**_counts(total), "accounts": accounts}


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {"total": sum(counts.values()), **{o: counts[o] for o in OUTCOMES}}


def _account_names(db: Session, takedown: Takedown) -> dict[int, str]:
    ids = set(takedown.account_ids) | {i.account_id for i in takedown.items}
    rows = db.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()
    return {row.id: row.name for row in rows}


def item_to_dict(item: TakedownItem, account: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "account": account,
        "remote_id": item.remote_id,
        "post_id": item.post_id,
        "origin": item.origin,
        "outcome": item.outcome,
        "reason": item.reason,
        "attempts": item.attempts,
        "evidence": item.evidence,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
    }


def takedown_to_dict(db: Session, takedown: Takedown, *, items: bool = True) -> dict[str, Any]:
    names = _account_names(db, takedown)
    body: dict[str, Any] = {
        "id": takedown.id,
        "status": takedown.status,
        "phase": takedown.phase,
        "accounts": [names[a] for a in takedown.account_ids],
        "since": takedown.since.isoformat(),
        "created_by": takedown.created_by.username if takedown.created_by else None,
        "created_at": takedown.created_at.isoformat(),
        "finished_at": takedown.finished_at.isoformat() if takedown.finished_at else None,
        "progress": progress(db, takedown),
    }
    if items:
        body["items"] = [item_to_dict(i, names.get(i.account_id, "?")) for i in takedown.items]
    return body


# --- dispatch ---------------------------------------------------------------------------


def job_pointer_key(rt: Runtime, takedown_id: int) -> str:
    return rt.key("takedown", takedown_id, "job")


def lease_key(rt: Runtime, takedown_id: int) -> str:
    """Held (with a short TTL, renewed) by the one job run working on the takedown."""
    return rt.key("takedown", takedown_id, "lease")


def enqueue_takedown(rt: Runtime, takedown_id: int) -> str:
    """Queue a run of the takedown job; each run gets the next id ``takedown-<id>-<n>``."""
    from workers import dispatch

    run = rt.redis.incr(rt.key("takedown", takedown_id, "runs"))
    job_id = f"takedown-{takedown_id}-{run}"
    dispatch.queue(rt.redis, dispatch.TAKEDOWN_QUEUE).enqueue(
        RUN_FUNCTION,
        takedown_id,
        job_id=job_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=JOB_TTL,
        failure_ttl=JOB_TTL,
        description=f"takedown #{takedown_id} (run {run})",
    )
    rt.redis.set(job_pointer_key(rt, takedown_id), job_id, ex=JOB_TTL)
    return job_id


def enqueue_quietly(rt: Runtime, takedown_id: int) -> None:
    """Queue the job; if Redis fails, ``resume_running_takedowns`` queues it later."""
    import logging

    try:
        enqueue_takedown(rt, takedown_id)
    except Exception:
        logging.getLogger("postgate.takedowns").warning(
            "could not queue takedown %s; the reconciler will", takedown_id
        )


def resume_running_takedowns(rt: Runtime) -> list[int]:
    """Queue again every running takedown that no live job works on (for the reconciler).

    A live run holds the lease; a queued run has a waiting job. Anything else (a worker
    killed midway, a Redis flush, an enqueue that failed) gets a new run, which skips
    what the store says is finished.
    """
    with rt.store.session() as db:
        running = list(db.scalars(select(Takedown.id).where(Takedown.status == "running")))
    resumed = []
    for takedown_id in running:
        if rt.redis.exists(lease_key(rt, takedown_id)) or _job_waiting(rt, takedown_id):
            continue
        enqueue_takedown(rt, takedown_id)
        resumed.append(takedown_id)
    return resumed


def _job_waiting(rt: Runtime, takedown_id: int) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.serializers import JSONSerializer

    job_id = rt.redis.get(job_pointer_key(rt, takedown_id))
    if job_id is None:
        return False
    try:
        job = Job.fetch(job_id.decode(), connection=rt.redis, serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=True) in ("queued", "scheduled", "deferred")
