"""What the security and admin pages share: their roles, and who is calling."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.context import live_user
from postgate.store.models import User

CRISIS_ROLES = ("security", "admin")


def caller(db: Session) -> User:
    """The signed-in user as stored now (never a merge of the request's copy)."""
    return live_user(db)
