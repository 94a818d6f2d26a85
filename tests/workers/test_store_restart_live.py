"""PostgreSQL restarting while posts are submitted, approved and published: a PostgreSQL
cluster of the test's own (``initdb`` and ``pg_ctl`` of the installed server), restarted
with ``pg_ctl restart -m fast`` as an operator or a failover would, under the web app
(gunicorn) and two workers. Nothing is lost or published twice; the API answers 503 with
``Retry-After`` while the store is away, which the client follows, and never a 500.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import make_env, write_fast_config
from tests.outages import private_postgres as private_postgres  # a fixture
from tests.workers.live import running_postgate


@pytest.fixture
def env(tmp_path: Path, redis_url: str, redis, sandbox_url: str, private_postgres):
    """The workers' ``env`` on the private cluster (its ``public`` schema emptied first)."""
    from sqlalchemy import create_engine, text

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
