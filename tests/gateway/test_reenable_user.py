"""Enabling a revoked user again: admins only, with 2FA, audited, on the API, the users page
and the command line."""

from __future__ import annotations

from sqlalchemy import select

from gateway import create_app
from postgate.store.models import AuditEntry, User
from tests.helpers import postgate_cli


def _revoke(client, sec, name: str) -> None:
    done = client.post(f"/api/v1/users/{name}/revoke", json={}, headers=sec.headers)
    assert done.status_code == 200, done.get_json()


def _disabled(rt, name: str) -> bool:
    with rt.store.session() as db:
        return db.scalar(select(User.disabled).where(User.username == name))


def test_an_admin_enables_a_revoked_user_with_2fa(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    sec = actors.person("sec", "security")
    adm = actors.person("adm", "admin")
    _revoke(client, sec, "ana")
    assert client.post("/api/v1/users/ana/enable", json={}, headers=sec.headers).status_code == 403
    strict = create_app(
        {"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0)
    ).test_client()
    assert strict.post("/api/v1/users/ana/enable", json={}, headers=adm.headers).status_code == 401
    assert _disabled(rt, "ana")
    done = strict.post("/api/v1/users/ana/enable", json={"otp": adm.code()}, headers=adm.headers)
    assert done.status_code == 200 and done.get_json()["disabled"] is False
    login = client.post(
        "/api/v1/session", json={"username": "ana", "password": ana.password, "otp": ana.code()}
    )
    assert login.status_code == 201
    again = client.post("/api/v1/users/ana/enable", json={}, headers=adm.headers)
    assert again.status_code == 409
    with rt.store.session() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:enable")).one()
    assert (entry.actor, entry.target) == ("adm", "user:ana")


def test_the_users_page_enables_a_revoked_user(rt, client, web, actors) -> None:
    actors.create("ana", "author")
    sec = actors.person("sec", "security")
    adm = actors.create("adm", "admin")
    _revoke(client, sec, "ana")
    web.login(adm)
    page = web.client.get("/security/users").get_data(as_text=True)
    assert 'action="/security/users/enable"' in page
    done = web.submit(
        "/security/users/enable", page="/security/users", **{"enable-username": "ana"}
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert not _disabled(rt, "ana")


def test_the_cli_enables_a_revoked_user(rt, env, client, actors) -> None:
    actors.create("ana", "author")
    sec = actors.person("sec", "security")
    _revoke(client, sec, "ana")
    run = postgate_cli(["users", "enable", "ana"], {**env, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert not _disabled(rt, "ana")
    twice = postgate_cli(["users", "enable", "ana"], {**env, "PATH": "/usr/bin:/bin"})
    assert twice.returncode == 1 and "not revoked" in twice.stderr
