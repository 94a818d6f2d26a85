"""PostgreSQL restarting while posts are submitted, approved and published: a PostgreSQL
cluster of the test's own (``initdb`` and ``pg_ctl`` of the installed server), restarted
with ``pg_ctl restart -m fast`` as an operator or a failover would, under the web app
(gunicorn) and two workers. Nothing is lost or published twice; the API answers 503 with
``Retry-After`` while the store is away, which the client follows, and never a 500.

The server also ends the app's connections one by one, at random moments of their
transactions (``pg_terminate_backend``, what an administrator, a pooler or a failover does):
a restart cuts one request short, this cuts dozens, at every statement a request makes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_env, write_fast_config
from tests.outages import private_postgres as private_postgres  # a fixture
from tests.workers.live import running_postgate


@pytest.fixture
def env(tmp_path: Path, redis_url: str, redis, sandbox_url: str, private_postgres):
    """The workers' ``env`` on the private cluster (its ``public`` schema emptied first)."""
    engine = create_engine(private_postgres.url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return make_env(
        tmp_path,
        private_postgres.url,
        redis_url,
        POSTGATE_SANDBOX_URL=sandbox_url,
        POSTGATE_CONFIG=str(write_fast_config(tmp_path)),
    )


@pytest.fixture
def live(env, rt, account, workers, sandbox_url, tmp_path):
    with running_postgate(env, rt, workers, sandbox_url, tmp_path) as running:
        yield running


def test_a_postgresql_restart_loses_nothing_and_answers_no_500(live, rt, workers, private_postgres):
    live.campaign.run_in_background(count=12, every=0.3, ahead=1.5, tag="PostgreSQL redémarre")
    time.sleep(1.5)
    private_postgres.restart()
    live.campaign.join()
    live.campaign.poll_until_published(timeout=40)
    assert live.campaign.lost_and_duplicated() == (0, 0)
    assert live.tally.count(500) == 0, live.tally.server_errors
    assert live.tally.final_5xx == 0, live.tally.server_errors  # each a 503 with Retry-After
    assert all(proc.poll() is None for proc in workers.procs), workers.log_text()
    assert live.web.proc.poll() is None
    print(f"answers during the restart: {dict(live.tally.statuses)}")


def test_connections_ended_mid_transaction_answer_503_never_500(live, workers, private_postgres):
    live.campaign.run_in_background(count=25, every=0.1, ahead=10.0, tag="connexions coupées")
    ended_writing = [_end_a_connection_writing(private_postgres.url, "notify_outbox")]
    ended_writing += [_end_a_connection_writing(private_postgres.url, "notify_outbox")]
    ended_at_random = _end_connections_at_random(private_postgres.url, seconds=4)
    live.campaign.join(timeout=90)
    live.campaign.poll_until_published(timeout=60)
    assert all(ended_writing), "no request was seen writing: the test tested nothing"
    assert live.tally.count(503) >= 2
    assert live.campaign.lost_and_duplicated() == (0, 0)
    assert live.tally.final_5xx == 0, live.tally.server_errors
    assert all(proc.poll() is None for proc in workers.procs), workers.log_text()
    print(f"{ended_at_random} connections ended at random; answers: {dict(live.tally.statuses)}")


def _end_a_connection_writing(url: str, table: str) -> bool:
    """End a connection in the middle of its transaction, at a write to ``table`` (late in
    a submission: the notifications it routes): the table is locked against writes until a
    connection waits to write there, which is then ended. Whether one was."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    waiting = text(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query LIKE :insert AND pid <> pg_backend_pid()"
    )
    try:
        with engine.connect() as locker, engine.connect() as watcher:
            locker.execute(text(f"BEGIN; LOCK TABLE {table} IN SHARE MODE"))
            until = time.monotonic() + 15
            pids: list[int] = []
            while not pids and time.monotonic() < until:
                time.sleep(0.02)
                pids = list(watcher.execute(waiting, {"insert": f"INSERT INTO {table}%"}).scalars())
            for pid in pids:
                watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            locker.execute(text("COMMIT"))
            return bool(pids)
    finally:
        engine.dispose()


def _end_connections_at_random(url: str, seconds: float) -> int:
    """Every 50 ms, end each client connection of the cluster with a chance of one in two
    (the web app's and the workers'): how many were ended."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    ended, until = 0, time.monotonic() + seconds
    with engine.connect() as conn:
        while time.monotonic() < until:
            ended += conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
                    " AND random() < 0.5"
                )
            ).scalar_one()
            time.sleep(0.05)
    engine.dispose()
    return ended
