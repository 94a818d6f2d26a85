"""The relational store: the source of truth. Redis only dispatches work."""

from postgate.store.db import Store, get_store
from postgate.store.models import (
    Account,
    Approval,
    AuditEntry,
    AuthToken,
    Base,
    Freeze,
    Post,
    PostRevision,
    RecoveryCode,
    Takedown,
    TakedownItem,
    User,
)

__all__ = [
    "Account",
    "Approval",
    "AuditEntry",
    "AuthToken",
    "Base",
    "Freeze",
    "Post",
    "PostRevision",
    "RecoveryCode",
    "Store",
    "Takedown",
    "TakedownItem",
    "User",
    "get_store",
]
