"""Platform limits as the account's own server states them (issue 11).

A Mastodon-API server chooses its character limit, its media count and how many characters a
link counts (``GET /api/v2/instance``, ``configuration.statuses``); assuming Mastodon's 500
refuses posts a server would take, or lets through posts it refuses. So the limits are read
when an account is connected (or its credentials replaced) and again daily by the workers'
periodic loop, kept on the account, and the rule engine counts with them
(:func:`account_limits`). A server that does not answer keeps the last limits read, or the
platform's documented ones.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from postgate.platforms.base import ConnectorError
from postgate.platforms.registry import PLATFORMS, connector_for
from postgate.runtime import Runtime
from postgate.services.credentials import account_credentials, url_policy
from postgate.states import AccountStatus
from postgate.store.models import Account
from postgate.store.types import utcnow
from postgate.urlguard import GuardedTransport
from rules import PlatformLimits

log = logging.getLogger("postgate.server_limits")

REFRESH_EVERY = timedelta(days=1)


def account_limits(account: Account) -> PlatformLimits | None:
    """The platform's limits, with what the account's server stated in their place."""
    spec = PLATFORMS.get(account.platform)
    if spec is None:
        return None
    stated = account.server_limits or {}
    known = {k: v for k, v in stated.items() if k in ("max_length", "max_media", "url_length")}
    return replace(spec.limits, **known) if known else spec.limits


def fetch_server_limits(
    rt: Runtime, platform: str, base_url: str | None, credentials: dict[str, str]
) -> dict[str, int] | None:
    """Ask the server; None when the platform has no such thing or the server does not say."""
    try:
        connector = connector_for(
            platform,
            base_url=base_url,
            credentials=credentials,
            transport=GuardedTransport(url_policy(rt, platform)),
        )
    except (ConnectorError, ValueError):
        return None
    try:
        return connector.server_limits()
    except ConnectorError as exc:
        log.warning("%s: could not read the server's limits: %s", platform, exc.message)
        return None
    finally:
        connector.close()


def note_server_limits(account: Account, limits: dict[str, int] | None) -> None:
    """Keep what the server said (nothing said keeps the last limits read)."""
    if limits:
        account.server_limits, account.server_limits_at = limits, utcnow()


def refresh_due_limits(rt: Runtime, *, now: datetime | None = None) -> int:
    """Read the limits again for each active account read more than a day ago (or never,
    when it was connected more than a day ago: the reading at connect failed); returns how
    many accounts' limits changed. Platforms without server limits cost no request."""
    cutoff = (now or utcnow()) - REFRESH_EVERY
    with rt.store.session() as db:
        due = list(
            db.scalars(
                select(Account).where(
                    Account.status == AccountStatus.ACTIVE,
                    or_(
                        Account.server_limits_at < cutoff,
                        (Account.server_limits_at.is_(None) & (Account.created_at < cutoff)),
                    ),
                )
            )
        )
        wanted = [
            (a.id, a.platform, a.base_url or rt.settings.sandbox_url, account_credentials(rt, a))
            for a in due
            if a.platform in PLATFORMS and PLATFORMS[a.platform].capabilities.server_limits
        ]
    changed = 0
    for account_id, platform, base_url, credentials in wanted:
        limits = fetch_server_limits(rt, platform, base_url, credentials)
        with rt.store.transaction() as db:
            account = db.get(Account, account_id)
            if account is None:
                continue
            changed += bool(limits) and limits != account.server_limits
            note_server_limits(account, limits)
    return changed
