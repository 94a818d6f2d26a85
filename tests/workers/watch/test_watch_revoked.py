"""Whoever takes an account over may first revoke Postgate's token on the platform (the
account's "Authorized apps", or ``POST /oauth/revoke``): Mastodon then ends the streams
opened with it and refuses it everywhere. The watch meets that refusal first, so it marks
the account ``disconnected`` at once (audited ``account:disconnected``, which tells the
admins and the security lead, and holds its posts) and stops watching it, rather than
retrying with backoff until the next publish meets the same refusal hours later."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rq.serializers import JSONSerializer
from sqlalchemy import select

from postgate import queue
from postgate.store.models import Account, AuditEntry
from tests.helpers import wait_until

from .conftest import run_watch_jobs

pytestmark = pytest.mark.platform_protocol


def _revoke_postgates_token(rt: Any, sandbox_url: str, account: str) -> None:
    """What the attacker does on the platform with the account they took over."""
    from postgate.services.accounts import find_account
    from postgate.services.credentials import account_credentials

    with rt.store.session() as db:
        credentials = account_credentials(rt, find_account(db, account))
    httpx.post(f"{sandbox_url}/oauth/revoke", data=credentials).raise_for_status()


def _status(rt: Any, account_id: int) -> str:
    with rt.store.session() as db:
        return db.scalar(select(Account.status).where(Account.id == account_id))


def _disconnections(rt: Any) -> list[AuditEntry]:
    with rt.store.session() as db:
        found = select(AuditEntry).where(AuditEntry.action == "account:disconnected")
        return list(db.scalars(found))


def test_a_token_revoked_under_the_stream_disconnects_the_account_at_once(
    watch_rt, stream, account_id, account, sandbox_url
):
    watcher = stream()
    _revoke_postgates_token(watch_rt, sandbox_url, account)
    wait_until(lambda: _status(watch_rt, account_id) == "disconnected", 10, "the disconnection")
    [entry] = _disconnections(watch_rt)
    assert entry.target == f"account:{account}"
    assert "refused the credentials to the watch" in entry.details["reason"]
    watcher.join(timeout=10)
    assert not watcher.is_alive(), "the watch goes on with a refused token"


def test_a_reading_that_meets_a_revoked_token_disconnects_the_account(
    watch_rt, account_id, account, sandbox_url, redis
):
    _revoke_postgates_token(watch_rt, sandbox_url, account)
    job_id = queue.enqueue_watch_poll(watch_rt, account_id)
    run_watch_jobs(watch_rt)
    assert _status(watch_rt, account_id) == "disconnected"
    assert len(_disconnections(watch_rt)) == 1
    from rq.job import Job

    job = Job.fetch(job_id, connection=watch_rt.redis, serializer=JSONSerializer)
    assert job.is_finished and job.return_value() == {"alerts": 0, "disconnected": 1}


def test_a_token_without_the_read_scope_is_judged_by_the_listing_not_the_stream(
    watch_rt, account_id, account, sandbox_url
):
    """Mastodon's streaming server answers 401 to a token without the read scope as it does
    to a revoked one, so the stream's refusal alone decides nothing. The listing that follows
    decides: Mastodon's REST API refuses such a token too (403, "outside the authorized
    scopes"), and an account Postgate can neither watch nor read back is disconnected until
    it is connected again with read and write; the reason is the listing's, not the
    stream's."""
    from sqlalchemy import update

    from sandbox import client as sandbox_client
    from workers.watch import StreamWatch

    write_only = sandbox_client.issue_token(sandbox_url, account, scopes="write")
    with watch_rt.store.transaction() as db:
        credentials = watch_rt.vault.encrypt_json({"token": write_only["access_token"]})
        db.execute(update(Account).values(credentials_enc=credentials))
    watcher = StreamWatch(watch_rt, account_id)
    watcher.start()
    try:
        wait_until(lambda: _status(watch_rt, account_id) == "disconnected", 10, "disconnected")
        [entry] = _disconnections(watch_rt)
        assert "outside the authorized scopes" in entry.details["reason"]
        assert "required scopes" not in entry.details["reason"]
    finally:
        watcher.stop.set()
        watcher.join(timeout=10)


def test_a_compromised_account_refused_to_a_poll_stays_so_and_is_read_again_at_its_pace(
    watch_rt, account_id, account, sandbox_url, redis
):
    """After a takedown the account is ``compromised`` and its token revoked (by Postgate, or
    by hand as the takedown asked): a refused reading changes nothing and tells nobody again,
    and the next reading waits the usual interval rather than the job's timeout."""
    from sqlalchemy import update

    from postgate.store.models import WatchState
    from workers.watch import _next_key

    # A minute between readings, so that the next one's key outlives a slow run's checks.
    watch_rt.settings = watch_rt.settings.with_overrides(watch_poll_seconds=60)
    with watch_rt.store.transaction() as db:
        db.execute(update(Account).where(Account.id == account_id).values(status="compromised"))
    _revoke_postgates_token(watch_rt, sandbox_url, account)
    job_id = queue.enqueue_watch_poll(watch_rt, account_id)
    run_watch_jobs(watch_rt)
    from rq.job import Job

    job = Job.fetch(job_id, connection=watch_rt.redis, serializer=JSONSerializer)
    assert job.return_value() == {"alerts": 0, "refused": 1}
    assert _status(watch_rt, account_id) == "compromised" and _disconnections(watch_rt) == []
    key = _next_key(watch_rt, account_id)
    assert watch_rt.redis.get(key) == b"1"
    assert 0 < watch_rt.redis.pttl(key) <= watch_rt.settings.watch_poll_seconds * 1000
    with watch_rt.store.session() as db:
        assert "revoked" in db.get(WatchState, account_id).problem
