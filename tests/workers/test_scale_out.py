"""Scaled out as on three machines: two web processes (gunicorn) behind a round-robin proxy
listed in ``trusted_proxies``, and three workers, each process with an instance folder of its
own, sharing nothing but PostgreSQL, one Redis and the media backend (``store``), and the
keys (given as variables, as secret files would). Shown across them: sessions, TOTP replay
memory, login rate limits per client address, and the claims and leases that let one post
publish once; then a web process and a worker are killed mid-campaign and nothing is lost.

PostgreSQL only (a shared SQLite file is not a deployment across machines): it runs in the
PostgreSQL pass of ``scripts/test``, which its SQLite pass leaves it to (``postgresql_pass``);
run alone on SQLite it is skipped, saying so.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from redis import Redis
from rq import Worker

from tests.conftest import make_env, write_fast_config
from tests.helpers import Actors, start_postgate, wait_until
from tests.workers.conftest import WorkerPool
from tests.workers.live import ApiClient, Campaign, Tally, WebProcess, people_over_http
from tests.workers.proxy import round_robin_proxy

ADDRESS_LIMIT = 4
pytestmark = pytest.mark.postgresql_pass


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("scale-out needs PostgreSQL: the PostgreSQL pass of scripts/test runs it")
    return database_url


@pytest.fixture
def env(tmp_path: Path, postgres_url: str, redis_url: str, redis: Redis, sandbox_url: str):
    """Machine a's environment; b and c differ only by their instance folder."""
    config = write_fast_config(tmp_path)
    with open(config, "a") as settings:
        settings.write(f"\n[security]\nlogin_limit_per_address = {ADDRESS_LIMIT}\n")
        settings.write('\n[media]\nbackend = "store"\n')
    return make_env(
        tmp_path / "a",
        postgres_url,
        redis_url,
        POSTGATE_SANDBOX_URL=sandbox_url,
        POSTGATE_CONFIG=str(config),
        POSTGATE_SECRET_KEYS=Fernet.generate_key().decode(),
        POSTGATE_AUDIT_KEY=secrets.token_hex(32),
        POSTGATE_WEB_SECRET=secrets.token_hex(32),
        POSTGATE_TRUSTED_PROXIES="127.0.0.1",
    )


def machine(env: dict[str, str], tmp_path: Path, name: str) -> dict[str, str]:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return {**env, "POSTGATE_INSTANCE": str(folder / "instance")}


@pytest.fixture
def cluster(env, rt, account, redis, sandbox_url, tmp_path):
    machines = {name: machine(env, tmp_path, name) for name in "abc"}
    webs = [WebProcess(machines[n], tmp_path / n / "web.log") for n in "ab"]
    pools = [WorkerPool(machines[n], redis, tmp_path / n) for n in "abc"]
    try:
        for pool in pools:  # all at once: each on its own machine
            pool.procs.append(start_postgate(["worker"], pool.env, pool.logs / "worker-0.log"))
        wait_until(lambda: len(Worker.all(connection=redis)) == 3, 45, "three workers")
        for web in webs:
            web.wait_ready()
        with round_robin_proxy([web.url for web in webs]) as (url, balancer):
            yield SimpleNamespace(url=url, balancer=balancer, webs=webs, pools=pools)
    finally:
        for web in webs:
            web.kill()
        for pool in pools:
            pool.stop_all()


def client_at(cluster, address: str, tally: Tally | None = None) -> ApiClient:
    """An API client on its own loopback address, through the proxy."""
    return ApiClient([cluster.url], tally or Tally(), local_address=address)


def login_body(person, code: str) -> dict[str, str]:
    return {"username": person.username, "password": person.password, "otp": code}


def test_two_web_processes_and_three_workers_share_everything_that_matters(
    cluster, rt, sandbox_url
):
    actors = Actors(rt, clock=time.time)
    served = cluster.balancer.served

    # TOTP replay memory: a code accepted by one web process is refused by the other.
    lead = actors.create("sam", "security")
    lead_client = client_at(cluster, "127.0.0.2")
    code = lead.code()
    before = dict(served)
    signed_in = lead_client.call("POST", "/api/v1/session", json=login_body(lead, code))
    assert signed_in.status_code == 201
    replay = lead_client.call("POST", "/api/v1/session", json=login_body(lead, code))
    assert replay.status_code == 401 and replay.json()["error"] == "login_failed"
    assert all(served[url] > before.get(url, 0) for url in (w.url for w in cluster.webs))

    # Login limits count per client address (behind the trusted proxy), across both.
    guesser = client_at(cluster, "127.0.0.3")
    guess = {"username": "sam", "password": "a guessed password", "otp": "123456"}
    for _ in range(ADDRESS_LIMIT):
        assert guesser.call("POST", "/api/v1/session", json=guess).status_code == 401
    limited = guesser.call("POST", "/api/v1/session", json=guess)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    elsewhere = client_at(cluster, "127.0.0.4").call(
        "POST", "/api/v1/session", json=login_body(lead, lead.code())
    )
    assert elsewhere.status_code == 201, elsewhere.text

    # Sessions: every request of the campaign alternates between the web processes.
    tally = Tally()
    client = client_at(cluster, "127.0.0.5", tally)
    author, reviewer = people_over_http(rt, client)
    campaign = Campaign(client, author, reviewer, sandbox_url)
    campaign.run_in_background(count=6, every=0.2, ahead=2, tag="montée en charge")
    campaign.join()

    # Killing a web process: the proxy sends everything to the other, sessions go on.
    cluster.webs[1].kill()
    campaign.run_in_background(count=6, every=0.3, ahead=2, tag="après une mort")
    time.sleep(1)
    first = cluster.pools[0]  # started first: it holds RQ's scheduler lock
    first.kill(first.procs[0])
    campaign.join()

    campaign.poll_until_published(timeout=40)
    assert campaign.lost_and_duplicated() == (0, 0)
    assert tally.server_errors == [], tally.server_errors
    for pool in cluster.pools[1:]:
        assert all(proc.poll() is None for proc in pool.procs), pool.log_text()
