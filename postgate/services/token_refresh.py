"""Keeping OAuth tokens alive, and what happens to an account whose token cannot be kept.

An account connected through OAuth knows when its token ends (``Account.token_expires_at``).
The workers' periodic loop looks every ``[oauth] refresh_check_seconds`` for tokens that end
within ``[oauth] refresh_ahead_seconds`` (:func:`due_accounts`) and queues one refresh job per
account (``workers.tokens``), which calls :func:`refresh_account` while it holds the account's
refresh lease: X rotates its refresh tokens, so two refreshes at once would leave the loser's
token refused. The platform's answer replaces the token and the refresh material in one
transaction (audited ``account:token-refresh``, never the token itself).

A refresh the platform refuses (``invalid_grant``, a revoked app: :class:`GrantRefused`), a
token that ends with nothing to refresh it with, or a token the platform refuses while
publishing makes the account ``disconnected`` (:func:`disconnect`, audited
``account:disconnected`` for the people who must reconnect it). Its scheduled posts then wait:
the publish job leaves them ``scheduled`` without calling the platform, the reconciler stops
queueing them, and reconnecting the account queues them again (:func:`resume_posts`). A
refresh that fails for a passing reason (the platform down) is tried again at the next look.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from postgate.audit import Event
from postgate.oauth import client
from postgate.oauth.config import app_for
from postgate.oauth.providers import Refresh, provider
from postgate.runtime import Runtime
from postgate.services.credentials import account_credentials, url_policy
from postgate.services.disconnection import disconnect
from postgate.states import AccountStatus
from postgate.store.models import Account
from postgate.store.types import utcnow

log = logging.getLogger("postgate.token_refresh")


class RefreshOutcome(StrEnum):
    REFRESHED = "refreshed"
    NOT_DUE = "not_due"  # refreshed meanwhile, or not an OAuth token that ends
    DISCONNECTED = "disconnected"
    RETRY = "retry"  # the platform could not be reached: the next look tries again


def due_accounts(rt: Runtime, now: datetime | None = None) -> list[int]:
    """Active accounts whose token ends within ``refresh_ahead_seconds`` (or has ended)."""
    horizon = (now or utcnow()) + timedelta(seconds=rt.settings.oauth_refresh_ahead_seconds)
    with rt.store.session() as db:
        return list(
            db.scalars(
                select(Account.id).where(
                    Account.status == AccountStatus.ACTIVE,
                    Account.token_expires_at.is_not(None),
                    Account.token_expires_at <= horizon,
                )
            )
        )


def refresh_account(rt: Runtime, account_id: int, now: datetime | None = None) -> RefreshOutcome:
    """Refresh one account's token if it is still due; the caller holds its refresh lease."""
    now = now or utcnow()
    with rt.store.session() as db:
        account = db.get(Account, account_id)
        if account is None or account.status != AccountStatus.ACTIVE:
            return RefreshOutcome.NOT_DUE
        horizon = now + timedelta(seconds=rt.settings.oauth_refresh_ahead_seconds)
        if account.token_expires_at is None or account.token_expires_at > horizon:
            return RefreshOutcome.NOT_DUE
        db.expunge(account)
    prov = provider(account.platform)
    credentials = account_credentials(rt, account)
    if prov is None or prov.refresh == Refresh.NEVER:
        return _ended_or_wait(rt, account, now, "the platform offers no way to refresh it")
    if prov.refresh == Refresh.GRANT and not credentials.get("refresh_token"):
        return _ended_or_wait(rt, account, now, "the platform granted no refresh token")
    prov = prov.with_urls(dict(rt.settings.oauth_endpoints.get(account.platform, {})))
    try:
        with client.Exchange(url_policy(rt, account.platform)) as exchange:
            tokens = client.refresh(
                exchange,
                prov,
                account.base_url,
                app_for(rt.settings, account.platform),
                access_token=credentials.get(prov.credential_field, ""),
                refresh_token=credentials.get("refresh_token"),
                now=now,
            )
    except client.GrantRefused as exc:
        disconnect(rt, account_id, f"the platform refused to refresh the token: {exc.message}")
        return RefreshOutcome.DISCONNECTED
    except client.OAuthFailure as exc:
        log.warning(
            "account %s: refreshing the token failed, will retry: %s", account.name, exc.message
        )
        return _ended_or_wait(rt, account, now, exc.message, retry=True)
    if not _store_tokens(rt, account_id, prov.credential_field, tokens):
        return RefreshOutcome.NOT_DUE
    return RefreshOutcome.REFRESHED


def _ended_or_wait(
    rt: Runtime, account: Account, now: datetime, why: str, *, retry: bool = False
) -> RefreshOutcome:
    """A token that cannot be refreshed now: disconnected once it has ended, else wait."""
    if account.token_expires_at is not None and account.token_expires_at <= now and not retry:
        disconnect(rt, account.id, f"the token expired: {why}")
        return RefreshOutcome.DISCONNECTED
    return RefreshOutcome.RETRY if retry else RefreshOutcome.NOT_DUE


def _store_tokens(
    rt: Runtime, account_id: int, credential_field: str, tokens: client.TokenSet
) -> bool:
    """The new token (and refresh token, and end) in the credentials, in one transaction;
    False (nothing stored) when the account is no longer active: a takedown holds the
    refresh lease while it revokes, so this is only a refresh that outlived its lease."""
    with rt.store.transaction() as db:
        account = db.get(Account, account_id)
        assert account is not None
        if account.status != AccountStatus.ACTIVE:  # taken down (or disconnected) meanwhile
            log.warning(
                "account %s: a token refreshed while the account became %s is not kept; "
                "revoke it on the platform if it was not taken down",
                account.name,
                account.status,
            )
            return False
        credentials = account_credentials(rt, account) | {credential_field: tokens.access_token}
        if tokens.refresh_token:
            credentials["refresh_token"] = tokens.refresh_token
        if tokens.expires_at:
            credentials["expires_at"] = tokens.expires_at.astimezone(UTC).isoformat()
        account.credentials_enc = rt.vault.encrypt_json(credentials)
        account.token_expires_at = tokens.expires_at
        rt.audit(
            db,
            Event.ACCOUNT_TOKEN_REFRESH,
            actor="worker",
            target=f"account:{account.name}",
            details={"expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None},
        )
    return True
