"""The connector for a stored account, with its credentials decrypted only for the call."""

from __future__ import annotations

from postgate.runtime import Runtime
from postgate.services.accounts import account_credentials, url_policy
from postgate.store.models import Account
from postgate.urlguard import GuardedTransport
from workers.connectors import Connector, connector_for


def connector_for_account(rt: Runtime, account: Account, *, timeout: float = 10.0) -> Connector:
    """Build the account's connector; the caller closes it (it is a context manager)."""
    platform = account.platform
    base_url = account.base_url
    if platform == "sandbox" and not base_url:
        base_url = rt.settings.sandbox_url
    return connector_for(
        platform,
        base_url=base_url,
        credentials=account_credentials(rt, account),
        timeout=timeout,
        transport=GuardedTransport(url_policy(rt, platform)),  # each call checked, then pinned
    )
