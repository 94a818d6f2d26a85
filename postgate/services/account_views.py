"""Accounts as every answer shows them (the API, the CLI, the admin pages): the public view
of :func:`~postgate.services.accounts.account_to_dict`, with whether a freeze holds each
now, read from the freeze rows (:mod:`postgate.services.freezes`, which itself finds
accounts by name: the two meet here rather than import each other)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from postgate.services.accounts import account_to_dict
from postgate.services.freezes import held_accounts
from postgate.store.models import Account


def accounts_as_shown(db: Session, found: Sequence[Account]) -> list[dict[str, Any]]:
    """:func:`account_to_dict` of each account, with whether a freeze holds it now."""
    held = held_accounts(db)
    return [account_to_dict(a, frozen=None in held or a.id in held) for a in found]


def account_as_shown(db: Session, account: Account) -> dict[str, Any]:
    return accounts_as_shown(db, [account])[0]
