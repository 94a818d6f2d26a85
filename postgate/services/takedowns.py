"""Takedown of a hacked account: freeze, end sessions, then delete and keep the evidence.

The request does what must hold before it answers: the affected accounts are frozen (one
commit, under the same account-row locks the publish worker's claim takes), then every
session and API token but the caller's is ended (a second commit), whether the request
started a takedown or joined one. The slow part, finding and deleting posts on the
platforms, runs in ``workers.takedown`` from the rows stored here, so it survives a worker
restart: each post is one item row, finished items are skipped.

A second takedown on an account that a running one covers joins it instead of racing it,
and never narrows it: when it asks for an earlier ``since``, the running takedown's window
on that account is widened in the same locked transaction. Each account's window and the
window its part finished for are read from the (hash-chained) audit log, written in the
same transactions (see :func:`takedown_windows`): the worker takes the account up again
until both agree, and marks the takedown done only under the same locks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import NotFound, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.accounts import find_account
from postgate.services.freezes import lock_accounts, set_freeze
from postgate.services.sessions import revoke_all_tokens
from postgate.store.models import Account, AuditEntry, Takedown, TakedownItem, User
from postgate.store.types import utcnow

OUTCOMES = ("pending", "deleted", "not_found", "failed")
CLOCK_SKEW = timedelta(minutes=5)
JOB_TIMEOUT = 24 * 3600  # rate limits like Mastodon's 30 deletions / 30 min make this long
JOB_TTL = 7 * 24 * 3600
RUN_FUNCTION = "workers.takedown.run_takedown"
WINDOW_EVENTS = (Event.ACCOUNT_TAKEDOWN, Event.ACCOUNT_COMPROMISED)  # with the start entry


@dataclass
class TakedownStart:
    """What ``POST /takedowns`` did: the takedown to follow and the running ones it joined."""

    takedown: Takedown
    created: bool
    joined: list[int] = field(default_factory=list)
    sessions_ended: int = 0
    widened: list[str] = field(default_factory=list)  # accounts whose window got earlier
    too_late: list[str] = field(default_factory=list)  # widened after their credentials went


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
    """Freeze (commit), end sessions (commit), then queue the job. Role and 2FA are checked.

    Sessions are ended on every request, also one that only joined running takedowns: a
    session opened since the first press (the attacker logging in again) must not survive
    the second.
    """
    if since > utcnow() + CLOCK_SKEW:
        raise ValidationFailed("since is in the future", field="since")
    with rt.store.transaction() as db:
        actor = db.get(User, actor_id)
        assert actor is not None
        accounts = _resolve_accounts(db, account_names)
        user_ids = _resolve_users(db, usernames)
        start = _create_or_join(rt, db, actor, accounts, since, source=source)
    with rt.store.transaction() as db:
        start.sessions_ended = _end_sessions(
            rt, db, actor, keep_token, usernames, user_ids, start, source=source
        )
    if start.created:
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


def _resolve_users(db: Session, names: list[str] | None) -> list[int] | None:
    """The users whose sessions to end (None: everyone), checked before anything is done."""
    if names is None:
        return None
    if not names:
        raise ValidationFailed("users is empty; leave it out to mean everyone", field="users")
    found = dict(db.execute(select(User.username, User.id).where(User.username.in_(names))).all())
    unknown = [n for n in names if n not in found]
    if unknown:
        raise ValidationFailed(f"no user named {unknown[0]!r}", field="users")
    return sorted(set(found.values()))


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
    covered = {aid: t for t in running for aid in t.account_ids}
    joined = sorted({covered[a.id].id for a in accounts if a.id in covered})
    widened: list[str] = []
    too_late: list[str] = []
    for takedown in sorted({covered[a.id] for a in accounts if a.id in covered}, key=_by_id):
        mine = [a for a in accounts if covered.get(a.id) is takedown]
        more, late = _join(rt, db, actor, takedown, mine, since, source=source)
        widened, too_late = widened + more, too_late + late
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
        owner = covered[account.id] if account.id in covered else takedown
        assert owner is not None
        reason = f"takedown #{owner.id}"
        set_freeze(rt, db, actor, account.name, reason, source=source, takedown_id=owner.id)
    created = takedown is not None
    if takedown is None:
        takedown = next(t for t in running if t.id == joined[0])
    return TakedownStart(takedown, created, joined, widened=widened, too_late=too_late)


def _by_id(takedown: Takedown) -> int:
    return takedown.id


def _join(
    rt: Runtime,
    db: Session,
    actor: User,
    takedown: Takedown,
    accounts: list[Account],
    since: datetime,
    *,
    source: str,
) -> tuple[list[str], list[str]]:
    """Join a running takedown on these accounts, widening their window to ``since``.

    One audit entry per account records the request and the window it leaves; the worker
    reads the windows back (:func:`takedown_windows`), so a widening survives a restart.
    An account whose credentials the takedown revoked already can no longer be listed: its
    widened window only reaches the posts Postgate published, and deleting those fails.
    """
    windows = takedown_windows(db, takedown)
    widened, too_late = [], []
    for account in accounts:
        before = windows.since[account.id]
        after = min(before, since)
        if after < before:
            widened.append(account.name)
            if account.id in windows.revoked:
                too_late.append(account.name)
        rt.audit(
            db,
            Event.ACCOUNT_TAKEDOWN,
            actor=actor.username,
            target=f"account:{account.name}",
            details={
                "takedown": takedown.id,
                "account_id": account.id,
                "requested_since": since.isoformat(),
                "since": after.isoformat(),
                "widened_from": before.isoformat() if after < before else None,
                "credentials_revoked_already": account.id in windows.revoked,
            },
            source=source,
        )
    if since < takedown.since:
        takedown.since = since
    return widened, too_late


def _end_sessions(
    rt: Runtime,
    db: Session,
    actor: User,
    keep_token: int | None,
    usernames: list[str] | None,
    user_ids: list[int] | None,
    start: TakedownStart,
    *,
    source: str,
) -> int:
    """End sessions and API tokens (everyone's, or the named users'), but the caller's."""
    ended = revoke_all_tokens(db, user_ids, keep=keep_token)
    rt.audit(
        db,
        Event.TOKEN_REVOKE,
        actor=actor.username,
        target=f"takedown:{start.takedown.id}",
        details={
            "tokens_ended": ended,
            "users": usernames or "all",
            "kept": keep_token,
            "created": start.created,
            "joined": start.joined,
        },
        source=source,
    )
    return ended


# --- windows --------------------------------------------------------------------------


@dataclass
class Windows:
    """Per account of a takedown: where its window starts, and the window its part (up to
    the revocation) finished for; an account is to do (again) while the two differ."""

    since: dict[int, datetime]
    finished: dict[int, datetime]
    revoked: set[int]

    def unfinished(self) -> list[int]:
        return [a for a, s in self.since.items() if a not in self.finished or self.finished[a] > s]


def takedown_windows(db: Session, takedown: Takedown) -> Windows:
    """Read from the audit entries the takedown's requests and runs wrote.

    ``takedown:start`` gives every account the window it was started with (else the row's
    ``since``); each ``account:takedown`` (a joining request) may move one account's start
    earlier; each ``account:compromised`` of this takedown says a run finished the account
    for the window it records (entries from before windows existed: the first window).
    """
    started = and_(
        AuditEntry.action == str(Event.TAKEDOWN_START),
        AuditEntry.target == f"takedown:{takedown.id}",
    )
    entries = db.scalars(
        select(AuditEntry)
        .where(or_(started, AuditEntry.action.in_([str(e) for e in WINDOW_EVENTS])))
        .order_by(AuditEntry.seq)
    ).all()
    first = takedown.since
    for entry in entries:
        if entry.action == Event.TAKEDOWN_START:
            first = _when(entry.details["since"])
    since = dict.fromkeys(takedown.account_ids, first)
    by_target = {f"account:{name}": aid for aid, name in _account_names(db, takedown).items()}
    finished: dict[int, datetime] = {}
    revoked: set[int] = set()
    for entry in entries:
        d = entry.details or {}
        aid = d.get("account_id", by_target.get(entry.target))
        if d.get("takedown") != takedown.id or aid not in since:
            continue
        if entry.action == Event.ACCOUNT_TAKEDOWN:
            since[aid] = min(since[aid], _when(d["since"]))
        elif entry.action == Event.ACCOUNT_COMPROMISED:
            done = _when(d["since"]) if d.get("since") else first
            finished[aid] = min(finished.get(aid, done), done)
            if d.get("credentials_revoked"):
                revoked.add(aid)
    return Windows(since, finished, revoked)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


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
        "windows": {
            names[a]: when.isoformat() for a, when in takedown_windows(db, takedown).since.items()
        },
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
