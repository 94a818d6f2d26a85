"""The token refresh job: one account's OAuth token renewed before it ends.

The workers' periodic loop queues it (:func:`queue_due_refreshes`, every ``[oauth]
refresh_check_seconds``) for each account whose token ends within ``refresh_ahead_seconds``;
the job holds the account's refresh lease while it asks the platform, since X rotates refresh
tokens and two refreshes at once would leave one refused. What a refused refresh means for
the account and its posts is :mod:`postgate.services.token_refresh`'s business.
"""

from __future__ import annotations

import logging

from postgate import queue
from postgate.runtime import Runtime, process_runtime
from postgate.services.token_refresh import due_accounts, refresh_account
from workers.lease import Lease

log = logging.getLogger("postgate.workers.tokens")

LEASE_SECONDS = 60.0


def refresh_lease(rt: Runtime, account_id: int) -> Lease:
    return Lease(rt.redis, rt.key("token-refresh", account_id), seconds=LEASE_SECONDS)


def refresh_token(account_id: int) -> str:
    """RQ entry point; returns the outcome for the job's result."""
    return refresh(process_runtime(), account_id)


def refresh(rt: Runtime, account_id: int) -> str:
    lease = refresh_lease(rt, account_id)
    if not lease.acquire(wait=5.0):
        return "held: another worker is refreshing this token"
    try:
        return str(refresh_account(rt, account_id))
    finally:
        lease.release()


def queue_due_refreshes(rt: Runtime) -> list[int]:
    """Queue a refresh job for every account whose token ends soon."""
    due = due_accounts(rt)
    for account_id in due:
        queue.enqueue_token_refresh(rt, account_id)
    return due
