"""Freezes: global or per account. A freeze is in force from its commit until lifted.

Invariant 7 rests on one lock order shared with the publish worker: the worker's claim
transaction locks the post's account row (``SELECT ... FOR UPDATE``) and reads the freezes;
setting a freeze locks the same account rows (all of them for a global freeze) in the
transaction that inserts it. So a claim either committed before the freeze (the post shows
up in the freeze's ``in_flight`` list) or it sees the freeze and stops. On SQLite every
write transaction is ``BEGIN IMMEDIATE``, which serialises the two just the same.

The freeze rows are the only truth about freezes: ``Account.status`` is left alone (the
publish worker requires ``active`` for ordinary checks, and a crisis statement must still
pass on a frozen account); a takedown sets ``compromised`` when it revokes credentials.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, object_session

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.call_gate import close_gate, open_gate
from postgate.errors import Conflict, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.accounts import find_account
from postgate.states import PostStatus
from postgate.store.models import Account, Freeze, Post, User
from postgate.store.types import utcnow

MAX_REASON = 2000
log = logging.getLogger("postgate.freezes")


IN_FORCE = Freeze.lifted_at.is_(None)  # what "a freeze in force" means, for every reader


def active_freezes(db: Session, account_id: int | None = None) -> list[Freeze]:
    """Freezes in force for ``account_id`` (global ones included); all of them when None."""
    query = select(Freeze).where(IN_FORCE)
    if account_id is not None:
        query = query.where(or_(Freeze.account_id.is_(None), Freeze.account_id == account_id))
    return list(db.scalars(query.order_by(Freeze.id)))


def is_frozen(db: Session, account_id: int) -> bool:
    return bool(active_freezes(db, account_id))


def held_accounts(db: Session) -> set[int | None]:
    """The ids of the accounts a freeze in force holds; ``None`` among them: a global
    freeze holds every account."""
    return set(db.scalars(select(Freeze.account_id).where(IN_FORCE)))


def freeze_blocks(db: Session, post: Post) -> str | None:
    """Why a freeze stops ``post`` from publishing now, or None (no freeze, or a crisis
    statement). For the publish worker, inside its claim transaction."""
    if post.crisis_statement or not is_frozen(db, post.account_id):
        return None
    return "a freeze is in force for this account"


@dataclass
class FreezeResult:
    freeze: Freeze
    created: bool
    in_flight: list[Post] = field(default_factory=list)
    scope: list[int] | None = None  # the accounts frozen; None: all of them

    def to_dict(self) -> dict[str, Any]:
        body = freeze_to_dict(self.freeze)
        body["already_in_force"] = not self.created
        body["in_flight"] = [
            {"id": p.id, "account": p.account.name, "status": p.status} for p in self.in_flight
        ]
        return body


def lock_accounts(db: Session, account_ids: list[int] | None) -> list[Account]:
    """Lock the account rows a freeze covers (every account when None), in id order."""
    query = select(Account).order_by(Account.id).with_for_update()
    if account_ids is not None:
        query = query.where(Account.id.in_(account_ids))
    return list(db.scalars(query))


def in_flight_posts(db: Session, account_ids: list[int] | None) -> list[Post]:
    """Posts a worker already holds: their platform call may have started before the freeze."""
    query = select(Post).where(Post.status == PostStatus.PUBLISHING).order_by(Post.id)
    if account_ids is not None:
        query = query.where(Post.account_id.in_(account_ids))
    return list(db.scalars(query))


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("give a reason for the freeze", field="reason")
    return reason.strip()[:MAX_REASON]


def set_freeze(
    rt: Runtime,
    db: Session,
    actor: User,
    account_name: str | None,
    reason: object,
    *,
    source: str = "",
    takedown_id: int | None = None,
) -> FreezeResult:
    """Put a freeze in force (the caller commits). The caller has checked role and 2FA.

    A freeze already in force with the same scope is returned as it is, so repeating the
    action (or a takedown on a frozen account) is harmless.
    """
    text = _check_reason(reason)
    account = find_account(db, account_name) if account_name is not None else None
    scope = [account.id] if account is not None else None
    lock_accounts(db, scope)
    existing = db.scalar(
        select(Freeze).where(
            Freeze.lifted_at.is_(None),
            Freeze.account_id.is_(None) if account is None else Freeze.account_id == account.id,
        )
    )
    in_flight = in_flight_posts(db, scope)
    if existing is not None:
        return FreezeResult(existing, False, in_flight, scope)
    freeze = Freeze(account_id=scope[0] if scope else None, reason=text, created_by_id=actor.id)
    db.add(freeze)
    db.flush()
    name = account.name if account else None
    details = payloads.freeze_set(name, text, [p.id for p in in_flight], takedown_id)
    rt.audit(
        db,
        Event.FREEZE_SET,
        actor=actor.username,
        target=f"freeze:{freeze.id}",
        details=details,
        source=source,
    )
    return FreezeResult(freeze, True, in_flight, scope)


def confirm_freeze(rt: Runtime, scope: list[int] | None) -> list[dict[str, Any]]:
    """Once the freeze has committed: the handshake with the workers
    (:mod:`postgate.call_gate`). Returns the posts in flight, as the answer lists them:
    those whose platform call had started (answered by now, or given the handshake's
    bound), and those whose outcome a person may still have to settle."""
    unknown: ColumnElement[bool]
    try:
        started = close_gate(rt, scope)
        unknown = (Post.status == PostStatus.PUBLISHING) & Post.outcome_unknown.is_(True)
    except RedisError:  # no handshake possible: every post a worker holds may be in flight
        log.warning("freeze: the gate cannot be closed (Redis); listing every held post")
        started, unknown = [], Post.status == PostStatus.PUBLISHING
    with rt.store.session() as db:
        if scope is not None:
            unknown = unknown & Post.account_id.in_(scope)
        posts = db.scalars(select(Post).where(or_(Post.id.in_(started), unknown)).order_by(Post.id))
        return [{"id": p.id, "account": p.account.name, "status": p.status} for p in posts]


def lift_freeze(
    rt: Runtime, db: Session, actor: User, account_name: str | None, *, source: str = ""
) -> list[Freeze]:
    """Lift the freezes of exactly this scope: a global lift leaves per-account freezes."""
    account = find_account(db, account_name) if account_name is not None else None
    lock_accounts(db, [account.id] if account else None)
    freezes = list(
        db.scalars(
            select(Freeze).where(
                Freeze.lifted_at.is_(None),
                Freeze.account_id.is_(None) if account is None else Freeze.account_id == account.id,
            )
        )
    )
    if not freezes:
        if account is None:
            raise Conflict("no freeze is in force for all accounts (global)", field="account")
        raise Conflict(
            "no freeze is in force for account {name!r}", field="account", name=account.name
        )
    now = utcnow()
    for freeze in freezes:
        freeze.lifted_at, freeze.lifted_by_id = now, actor.id
        # Safe before the commit: a worker reads the store before the gate, and the store
        # says frozen until the lift commits.
        open_gate(rt, freeze.account_id)
    db.flush()
    rt.audit(
        db,
        Event.FREEZE_LIFT,
        actor=actor.username,
        target=",".join(f"freeze:{f.id}" for f in freezes),
        details=payloads.freeze_lift(
            account.name if account else None, bool(account and is_frozen(db, account.id))
        ),
        source=source,
    )
    return freezes


def freeze_to_dict(freeze: Freeze) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    lifted_by = None
    if freeze.lifted_by_id is not None:
        session = object_session(freeze)
        user = session.get(User, freeze.lifted_by_id) if session else None
        lifted_by = user.username if user else None
    return {
        "id": freeze.id,
        "scope": "account" if freeze.account_id is not None else "global",
        "account": freeze.account.name if freeze.account is not None else None,
        "reason": freeze.reason,
        "created_by": freeze.created_by.username if freeze.created_by else None,
        "created_at": iso(freeze.created_at),
        "lifted_at": iso(freeze.lifted_at),
        "lifted_by": lifted_by,
    }
