"""``trusted_proxies``: behind a reverse proxy, limits and the audit see the client; an
``X-Forwarded-For`` from anyone else is ignored, and what a client writes on the left of
the addresses the proxies added is never believed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway import create_app
from postgate.errors import SettingsError
from postgate.settings import load_settings
from postgate.store.models import AuditEntry

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral

PROXY = "10.0.0.2"
ALICE = "198.51.100.7"
MALLORY = "203.0.113.66"


def _client(rt, **overrides):
    settings = rt.settings.with_overrides(login_limit_per_address=3, **overrides)
    return create_app({"TESTING": True}, settings=settings).test_client()


def _login(client, person, *, peer: str, forwarded: str | None = None, password=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post(
        "/api/v1/session",
        json={
            "username": person.username,
            "password": password or person.password,
            "otp": person.code(),
        },
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    )


def _guess(client, name: str, *, peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post(
        "/api/v1/session",
        json={"username": name, "password": "is it summer2026?", "otp": "123456"},
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    )


def test_behind_a_trusted_proxy_one_guesser_does_not_limit_everyone(rt, actors) -> None:
    """Today every client behind the proxy shares its address: Mallory's guesses used up
    the address limit of everyone behind it."""
    client = _client(rt, trusted_proxies=("10.0.0.0/8",))
    alice = actors.create("alice", "author")
    for n in range(4):
        _guess(client, f"user{n}", peer=PROXY, forwarded=MALLORY)
    assert _guess(client, "user9", peer=PROXY, forwarded=MALLORY).status_code == 429
    assert _login(client, alice, peer=PROXY, forwarded=ALICE).status_code == 201
    with rt.store.session() as db:
        login = db.scalars(select(AuditEntry).where(AuditEntry.action == "session:login")).one()
        limited = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "access:rate-limited")
        ).first()
    assert login.source == ALICE
    assert limited is not None and limited.source == MALLORY


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(rt, actors) -> None:
    """Mallory, reaching Postgate directly, writes a new address in each request."""
    client = _client(rt, trusted_proxies=("10.0.0.0/8",))
    answers = [
        _guess(client, f"user{n}", peer=MALLORY, forwarded=f"192.0.2.{n}").status_code
        for n in range(5)
    ]
    assert answers[3:] == [429, 429]
    with rt.store.session() as db:
        sources = set(db.scalars(select(AuditEntry.source)))
    assert sources == {MALLORY}


def test_a_client_cannot_write_its_own_address_in_front_of_the_proxy(rt, actors) -> None:
    """Through the proxy, Mallory sends ``X-Forwarded-For: <made up>``; the proxy appends
    her real address. The made-up part must not count."""
    client = _client(rt, trusted_proxies=("10.0.0.0/8",))
    answers = [
        _guess(client, f"user{n}", peer=PROXY, forwarded=f"192.0.2.{n}, {MALLORY}").status_code
        for n in range(5)
    ]
    assert answers[3:] == [429, 429]


def test_several_trusted_hops_are_skipped(rt, actors) -> None:
    client = _client(rt, trusted_proxies=("10.0.0.0/8", "172.16.0.0/12"))
    alice = actors.create("alice", "author")
    answer = _login(client, alice, peer=PROXY, forwarded=f"192.0.2.1, {ALICE}, 172.16.0.9")
    assert answer.status_code == 201
    with rt.store.session() as db:
        login = db.scalars(select(AuditEntry).where(AuditEntry.action == "session:login")).one()
    assert login.source == ALICE


def test_without_the_setting_the_header_is_ignored(rt, actors) -> None:
    client = _client(rt)
    alice = actors.create("alice", "author")
    assert _login(client, alice, peer=PROXY, forwarded=ALICE).status_code == 201
    with rt.store.session() as db:
        login = db.scalars(select(AuditEntry).where(AuditEntry.action == "session:login")).one()
    assert login.source == PROXY


def test_a_number_of_hops_takes_that_many_from_the_right(rt, actors) -> None:
    client = _client(rt, trusted_proxy_hops=1)
    alice = actors.create("alice", "author")
    assert _login(client, alice, peer=PROXY, forwarded=f"192.0.2.1, {ALICE}").status_code == 201
    with rt.store.session() as db:
        login = db.scalars(select(AuditEntry).where(AuditEntry.action == "session:login")).one()
    assert login.source == ALICE


def test_the_setting_is_read_and_checked(tmp_path) -> None:
    config = tmp_path / "postgate.toml"
    config.write_text('[web]\ntrusted_proxies = ["10.0.0.0/8", "::1"]\n')
    env = {"POSTGATE_CONFIG": str(config), "POSTGATE_INSTANCE": str(tmp_path)}
    assert load_settings(env=env).trusted_proxies == ("10.0.0.0/8", "::1")
    assert load_settings(env={**env, "POSTGATE_TRUSTED_PROXIES": "2"}).trusted_proxy_hops == 2
    from_env = load_settings(env={**env, "POSTGATE_TRUSTED_PROXIES": "127.0.0.1, 10.1.0.0/16"})
    assert from_env.trusted_proxies == ("127.0.0.1", "10.1.0.0/16")
    config.write_text('[web]\ntrusted_proxies = ["proxy.example"]\n')
    with pytest.raises(SettingsError, match="trusted_proxies"):
        load_settings(env=env)
