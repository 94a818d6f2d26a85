"""Pages of the audit log, the takedowns and the users, filtered, for the API and the pages
(:mod:`postgate.services.listing` says how a page is cut)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.services.listing import (
    Key,
    Page,
    Sort,
    Window,
    keyset_page,
    like_pattern,
    within,
)
from postgate.services.names import canonical_name
from postgate.store.models import AuditEntry, Takedown, User


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    actor: str | None = None
    target: str | None = None
    window: Window = field(default_factory=Window)
    sort: Sort = Sort.OLDEST

    def filters(self) -> dict[str, str]:
        shown = {"action": self.action, "actor": self.actor, "target": self.target}
        texts = {k: v for k, v in shown.items() if v}
        return {**texts, **self.window.filters(), "sort": self.sort.value}


def page_audit(
    db: Session, q: AuditQuery, *, limit: int, after: Key | None = None, before: Key | None = None
) -> Page[AuditEntry]:
    """Audit entries, oldest first unless ``q.sort`` says otherwise."""
    q.window.check()
    query = select(AuditEntry)
    if q.action:
        query = query.where(AuditEntry.action.startswith(q.action))
    if q.actor:
        query = query.where(AuditEntry.actor == q.actor)
    if q.target:
        query = query.where(AuditEntry.target == q.target)
    query = within(query, AuditEntry.at, q.window)
    return keyset_page(
        db,
        query,
        AuditEntry.seq,
        lambda e: e.seq,
        limit=limit,
        sort=q.sort,
        after=after,
        before=before,
    )


def page_takedowns(
    db: Session,
    window: Window,
    *,
    status: str | None = None,
    limit: int,
    after: Key | None = None,
    before: Key | None = None,
) -> Page[Takedown]:
    """Takedowns, newest first, started within ``window``."""
    window.check()
    query = within(select(Takedown), Takedown.created_at, window)
    if status:
        query = query.where(Takedown.status == status)
    return keyset_page(
        db, query, Takedown.id, lambda t: t.id, limit=limit, after=after, before=before
    )


def page_users(
    db: Session,
    *,
    text: str | None = None,
    role: str | None = None,
    limit: int,
    after: Key | None = None,
    before: Key | None = None,
) -> Page[User]:
    """Users by name (a to z), whose name contains ``text``, holding ``role``."""
    query = select(User)
    if text:
        query = query.where(User.username.like(like_pattern(canonical_name(text)), escape="\\"))
    if role:
        # Roles are space-separated in one column; no role's name holds another's.
        query = query.where(User.roles.like(like_pattern(role), escape="\\"))
    return keyset_page(
        db,
        query,
        User.username,
        _username,
        limit=limit,
        sort=Sort.OLDEST,
        after=after,
        before=before,
    )


def _username(user: User) -> str:
    return user.username
