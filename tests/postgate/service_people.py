"""People, accounts and posts for the service tests, which call the domain services directly
(no HTTP, no TOTP: the views check role and 2FA before they call a service)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.services import review
from postgate.services.posts import submit
from postgate.services.users import create_user
from postgate.store.models import AuditEntry, Post, User
from tests.helpers import PASSWORD, make_account

CLEAN = "Nouvelle collection disponible demain !"
BLOCKED = "Cette offre est une arnaque, connard"  # the shipped rules block it
FLAGGED = "Écrivez à jo@example.org demain"  # contact details: flagged, to acknowledge
LATER = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


def people(rt: Any, **roles: tuple[str, ...]) -> None:
    """Users named by the keywords, holding the roles given (``ana=("author",)``)."""
    with rt.store.transaction() as db:
        for name, held in roles.items():
            create_user(rt, db, name, held, password=PASSWORD, actor="test")


def user(db: Session, name: str) -> User:
    found = db.scalar(select(User).where(User.username == name))
    assert found is not None, name
    return found


def account(rt: Any, name: str = "acme", approvals: int = 1) -> int:
    return make_account(rt, name, approvals=approvals)


def submitted(rt: Any, author: str, text: str = CLEAN, account_name: str = "acme") -> int:
    with rt.store.transaction() as db:
        return submit(rt, db, user(db, author), account_name, text, LATER).id


def approve(rt: Any, reviewer: str, post_id: int, acknowledge: list[str] | None = None) -> str:
    """``reviewer`` approves the post as it is now; the post's status afterwards."""
    with rt.store.transaction() as db:
        return review.approve(rt, db, user(db, reviewer), post_id, acknowledge or []).status


def post_of(rt: Any, post_id: int) -> Post:
    with rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post is not None
        db.expunge(post)
        return post


def actions(rt: Any, target: str | None = None) -> list[str]:
    """The audit actions recorded so far (for ``target`` only, when given), oldest first."""
    query = select(AuditEntry.action).order_by(AuditEntry.seq)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    with rt.store.session() as db:
        return list(db.scalars(query))


def soon(seconds: int = 60) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
