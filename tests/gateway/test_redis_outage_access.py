"""While Redis is down the security lead still signs in, freezes and takes down, and login
limits still hold (kept in the store meanwhile). A real redis-server, stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway import create_app
from postgate.services.freezes import is_frozen
from postgate.store.models import Takedown
from tests.helpers import make_account
from tests.outages import private_redis as private_redis  # a fixture


@pytest.fixture
def redis_url(private_redis) -> str:
    """Everything in these tests (the runtime, the app) uses the private Redis."""
    return private_redis.url


@pytest.fixture
def stop_redis(private_redis):
    """Call to stop Redis; it is started again (empty) at the end of the test whatever
    happened, for the fixtures that flush it."""
    yield private_redis.stop
    if private_redis.proc is None:
        private_redis.start()


def login(client, person, *, code: str | None = None, address: str = "127.0.0.1"):
    body = {"username": person.username, "password": person.password, "otp": code}
    if code is None:
        body["otp"] = person.code()
    return client.post("/api/v1/session", json=body, environ_base={"REMOTE_ADDR": address})


def test_the_security_lead_signs_in_freezes_and_takes_down_while_redis_is_down(
    rt, client, actors, private_redis, stop_redis
):
    from workers.reconcile import reconcile_once

    acme = make_account(rt, "acme")
    lead = actors.create("sam", "security")
    stop_redis()

    signed_in = login(client, lead)
    assert signed_in.status_code == 201, signed_in.get_json()
    lead.token = signed_in.get_json()["token"]
    frozen = client.post(
        "/api/v1/freeze", json={"reason": "account taken over"}, headers=lead.headers
    )
    assert frozen.status_code == 201, frozen.get_json()
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    takedown = client.post(
        "/api/v1/takedowns",
        json={"accounts": ["acme"], "since": since, "otp": lead.code()},
        headers=lead.headers,
    )
    assert takedown.status_code == 202, takedown.get_json()
    assert client.get("/healthz").get_json()["checks"]["redis"].startswith("unavailable")
    with rt.store.session() as db:
        assert is_frozen(db, acme)
        assert db.query(Takedown).one().status == "running"

    private_redis.start()  # empty: the takedown's job never reached it
    assert reconcile_once(rt).takedowns_resumed == 1


def test_a_totp_code_is_still_accepted_once_while_redis_is_down(rt, client, actors, stop_redis):
    lead = actors.create("sam", "security")
    stop_redis()
    code = lead.code()
    assert login(client, lead, code=code).status_code == 201
    replayed = login(client, lead, code=code)
    assert replayed.status_code == 401 and replayed.get_json()["error"] == "login_failed"


def test_login_limits_hold_across_processes_while_redis_is_down(rt, actors, stop_redis):
    """Two app instances (as two web processes) share the count through the store."""
    settings = rt.settings.with_overrides(login_limit_per_address=3)
    first = create_app({"TESTING": True}, settings=settings).test_client()
    second = create_app({"TESTING": True}, settings=settings).test_client()
    lead = actors.create("sam", "security")
    stop_redis()
    for client in (first, second, first):
        assert login(client, lead, code="000000", address="203.0.113.9").status_code == 401
    refused = login(second, lead, address="203.0.113.9")
    assert refused.status_code == 429, refused.get_json()
    assert 0 < int(refused.headers["Retry-After"]) <= settings.login_limit_window
    assert login(second, lead, address="198.51.100.7").status_code == 201


def test_the_login_page_signs_in_while_redis_is_down(rt, web, actors, stop_redis):
    lead = actors.create("sam", "security")
    stop_redis()
    response = web.login(lead)
    assert response.headers["Location"].endswith("/security")  # the console
