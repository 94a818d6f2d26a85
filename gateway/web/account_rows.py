"""Accounts as the pages list them: in the compose form and the calendar, and with whether a
freeze holds them on the console and the admin pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from postgate.services import freezes
from postgate.services.accounts import account_to_dict, list_accounts


def accounts_info(db: Session) -> list[dict[str, Any]]:
    """Name, platform, time zone and status of every account, for choosing one."""
    return [
        {"name": a.name, "platform": a.platform, "timezone": a.timezone, "status": a.status}
        for a in list_accounts(db)
    ]


def account_rows(db: Session) -> list[dict[str, Any]]:
    """Every account as the API shows it, and ``frozen`` when a freeze holds it now."""
    frozen = {f.account_id for f in freezes.active_freezes(db)}
    return [
        {
            **account_to_dict(a),
            "frozen": None in frozen or a.id in frozen,
            "token_expires_at": a.token_expires_at,  # shown with ``shown_time``
        }
        for a in list_accounts(db)
    ]
