"""Accounts as the pages list them: in the compose form and the calendar, and with whether a
freeze holds them on the console and the admin pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from postgate.services.account_views import accounts_as_shown
from postgate.services.accounts import list_accounts


def accounts_info(db: Session) -> list[dict[str, Any]]:
    """Name, platform, time zone and status of every account, for choosing one."""
    return [
        {"name": a.name, "platform": a.platform, "timezone": a.timezone, "status": a.status}
        for a in list_accounts(db)
    ]


def account_rows(db: Session) -> list[dict[str, Any]]:
    """Every account as the API shows it (with ``frozen``), and when its token expires."""
    found = list_accounts(db)
    return [
        {**shown, "token_expires_at": a.token_expires_at}  # shown with ``shown_time``
        for a, shown in zip(found, accounts_as_shown(db, found), strict=True)
    ]
