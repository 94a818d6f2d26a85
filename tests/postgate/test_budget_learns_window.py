"""The budget's window comes from the platform once it has shown one (issue 11).

The registry documents Mastodon's deletion limit as 30 per 30 minutes; a server configured
otherwise (the sandbox's ``3/1``, a Mastodon fork) announces its own window in its
``X-RateLimit-*`` headers. Once seen, the announced window must replace the documented one:
a takedown that waited for the documented 30 minutes hung for 520 s against a server that
allowed 3 deletions a second."""

from __future__ import annotations

import time

from postgate.budget import Priority, Quotas
from postgate.platforms.spec import Quota
from tests.postgate.test_budget import Platform, client


def test_an_announced_deletion_window_replaces_the_documented_one(rt):
    platform = Platform(limit=3, period=0.4)
    documented = Quotas(deletes=Quota(calls=30, seconds=1800))
    deleting = client(rt, platform, Priority.SETTLE, quotas=documented, max_wait=0.0)
    started, waits = time.monotonic(), []
    deleted = 0
    while deleted < 40 and time.monotonic() - started < 20:
        try:
            response = deleting.delete(f"/api/v1/statuses/{deleted}")
        except Exception as exc:  # a paced refusal says how long to wait
            wait = getattr(exc, "retry_after", None)
            assert wait is not None, exc
            waits.append(wait)
            time.sleep(min(wait, 1.0))
            continue
        if response.status_code == 200:
            deleted += 1
        else:
            time.sleep(0.05)
    assert deleted == 40, f"{deleted} deleted in 20 s"
    assert max(waits, default=0.0) <= 1.0, f"the budget asked to wait {max(waits):.0f} s"
