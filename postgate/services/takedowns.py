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
window its part finished for are rows of ``takedown_accounts`` written in the same
transactions (:mod:`postgate.services.takedown_windows`): the worker takes the account up
again until both agree, and marks the takedown done only under the same locks.

This module is the request path. The read side (:mod:`~postgate.services.takedown_view`),
the windows (:mod:`~postgate.services.takedown_windows`) and the job queueing
(:mod:`~postgate.services.takedown_dispatch`) live in modules of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.call_gate import close_gate
from postgate.errors import ValidationFailed
from postgate.runtime import Runtime
from postgate.services.accounts import find_account
from postgate.services.freezes import lock_accounts, set_freeze
from postgate.services.names import canonical_name
from postgate.services.sessions import revoke_all_tokens
from postgate.services.takedown_dispatch import enqueue_quietly
from postgate.services.takedown_scope import Scope
from postgate.services.takedown_windows import join_takedown, start_windows
from postgate.states import TakedownStatus
from postgate.store.models import Account, Takedown, User
from postgate.store.types import utcnow

CLOCK_SKEW = timedelta(minutes=5)


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
    scope: Scope | None = None,
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
        accounts = resolve_accounts(db, account_names)
        user_ids = _resolve_users(db, usernames)
        scope = check_scope(db, scope or Scope())
        start = _create_or_join(rt, db, actor, accounts, since, scope, source=source)
        frozen = [a.id for a in accounts]
    close_gate(rt, frozen)  # the freeze handshake: no publish call starts from here on
    with rt.store.transaction() as db:
        start.sessions_ended = _end_sessions(
            rt, db, actor, keep_token, usernames, user_ids, start, source=source
        )
    if start.created:
        enqueue_quietly(rt, start.takedown.id)
    return start


def resolve_accounts(db: Session, names: list[str] | None) -> list[Account]:
    if names is None:
        accounts = list(db.scalars(select(Account).order_by(Account.id)))
        if not accounts:
            raise ValidationFailed("there is no account to take down", field="accounts")
        return accounts
    if not names:
        raise ValidationFailed("accounts is empty; leave it out to mean all", field="accounts")
    found = {find_account(db, name, field="accounts").id: name for name in names}
    return [a for a in db.scalars(select(Account).order_by(Account.id)) if a.id in found]


def check_scope(db: Session, scope: Scope) -> Scope:
    """Refuse usernames in ``include_postgate`` that name nobody (a typo would keep posts);
    the scope returned holds them as stored (any case typed matches)."""
    if isinstance(scope.include_postgate, str):
        return scope
    typed = list(scope.include_postgate)
    names = [canonical_name(n) for n in typed]
    found = set(db.scalars(select(User.username).where(User.username.in_(names))))
    unknown = [t for t, n in zip(typed, names, strict=True) if n not in found]
    if unknown:
        raise ValidationFailed("no user named {name!r}", field="include_postgate", name=unknown[0])
    return replace(scope, include_postgate=tuple(names))  # as stored: matched to authors


def _resolve_users(db: Session, names: list[str] | None) -> list[int] | None:
    """The users whose sessions to end (None: everyone), checked before anything is done."""
    if names is None:
        return None
    if not names:
        raise ValidationFailed("users is empty; leave it out to mean everyone", field="users")
    wanted = [canonical_name(n) for n in names]
    found = dict(db.execute(select(User.username, User.id).where(User.username.in_(wanted))).all())
    unknown = [n for n in names if canonical_name(n) not in found]
    if unknown:
        raise ValidationFailed("no user named {name!r}", field="users", name=unknown[0])
    return sorted(set(found.values()))


def _create_or_join(
    rt: Runtime,
    db: Session,
    actor: User,
    accounts: list[Account],
    since: datetime,
    scope: Scope,
    *,
    source: str,
) -> TakedownStart:
    """Under the account locks: join running takedowns, create one for what they miss.

    A joined takedown takes the wider of its scope and the request's (which of Postgate's
    posts go, :meth:`Scope.widest`): joining never narrows, and its accounts are done again
    for the wider scope."""
    lock_accounts(db, [a.id for a in accounts])
    running = db.scalars(select(Takedown).where(Takedown.status == TakedownStatus.RUNNING)).all()
    covered = {aid: t for t in running for aid in t.account_ids}
    joined = sorted({covered[a.id].id for a in accounts if a.id in covered})
    widened: list[str] = []
    too_late: list[str] = []
    for existing in sorted({covered[a.id] for a in accounts if a.id in covered}, key=_by_id):
        mine = [a for a in accounts if covered.get(a.id) is existing]
        change = _widen_scope(existing, scope)
        more, late = join_takedown(
            rt, db, actor, existing, mine, since, source=source, scope_change=change
        )
        widened, too_late = widened + more, too_late + late
    missing = [a for a in accounts if a.id not in covered]
    takedown: Takedown | None = None
    if missing:
        takedown = Takedown(
            created_by_id=actor.id,
            account_ids=[a.id for a in missing],
            since=since,
            status=TakedownStatus.RUNNING,
            phase="queued",
            scope=scope.to_json(),
        )
        db.add(takedown)
        db.flush()
        start_windows(db, takedown, missing)
        rt.audit(
            db,
            Event.TAKEDOWN_START,
            actor=actor.username,
            target=f"takedown:{takedown.id}",
            details=payloads.takedown_start(
                [a.name for a in missing], since, joined, scope.to_json()
            ),
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


def _widen_scope(takedown: Takedown, scope: Scope) -> tuple[Any, Any] | None:
    """Store the wider scope on a running takedown; its ``include_postgate`` before and
    after, or None when the request asked for nothing more."""
    before = Scope.from_json(takedown.scope)
    after = before.widest(scope)
    if after == before:
        return None
    takedown.scope = after.to_json()
    return before.to_json()["include_postgate"], after.to_json()["include_postgate"]


def _by_id(takedown: Takedown) -> int:
    return takedown.id


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
        details=payloads.tokens_ended(ended, usernames, keep_token, start.created, start.joined),
        source=source,
    )
    return ended
