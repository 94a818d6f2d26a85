"""Changing one's own password (API and page) and the server's ``postgate users password``:
the current password and a code typed now, other sessions ended on request (ASVS 7.4.3)."""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from postgate.services import recovery_codes
from postgate.store.models import AuditEntry, User
from tests.helpers import postgate_cli

NEW = "lighthouse marmalade orbit quietly"


def _spare(rt, username: str) -> list[str]:
    """Recovery codes, for logins beyond the two unused TOTP steps a person has."""
    with rt.store.transaction() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
        return recovery_codes.replace_recovery_codes(db, user_id)


def _login(client, username: str, password: str, code: str):
    return client.post(
        "/api/v1/session", json={"username": username, "password": password, "otp": code}
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_stolen_session_cannot_change_the_password_without_a_code(client, actors) -> None:
    ana = actors.person("ana", "author")
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": ana.password, "new_password": NEW},
        headers=ana.headers,
    )
    assert changed.status_code == 401
    assert changed.get_json()["error"] == "otp_required"


def test_the_current_password_is_checked_after_the_code(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "not my password at all", "new_password": NEW, "otp": ana.code()},
        headers=ana.headers,
    )
    assert wrong.status_code == 422
    assert wrong.get_json()["field"] == "current_password"
    assert _login(client, "ana", ana.password, _spare(rt, "ana")[0]).status_code == 201
    with rt.store.session() as db:
        refused = db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "user:password", AuditEntry.result == "refused"
            )
        ).all()
    assert len(refused) == 1


def test_changing_the_password_ends_the_other_sessions_by_default(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    spare = _spare(rt, "ana")
    other = _login(client, "ana", ana.password, spare[0]).get_json()["token"]
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": ana.password, "new_password": NEW, "otp": ana.code()},
        headers=ana.headers,
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() == {"username": "ana", "sessions_ended": 1}
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(other)).status_code == 401
    assert _login(client, "ana", ana.password, spare[1]).status_code == 401
    assert _login(client, "ana", NEW, spare[2]).status_code == 201
    with rt.store.session() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:password")).one()
    assert entry.details == {"by": "owner", "sessions_ended": 1}


def test_the_owner_may_keep_the_other_sessions(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    other = _login(client, "ana", ana.password, _spare(rt, "ana")[0]).get_json()["token"]
    changed = client.post(
        "/api/v1/me/password",
        json={
            "current_password": ana.password,
            "new_password": NEW,
            "otp": ana.code(),
            "end_other_sessions": False,
        },
        headers=ana.headers,
    )
    assert changed.status_code == 200 and changed.get_json()["sessions_ended"] == 0
    assert client.get("/api/v1/me", headers=_bearer(other)).status_code == 200


def test_a_weak_new_password_is_refused_naming_the_field(client, actors) -> None:
    ana = actors.person("ana", "author")
    weak = client.post(
        "/api/v1/me/password",
        json={"current_password": ana.password, "new_password": "password1234", "otp": ana.code()},
        headers=ana.headers,
    )
    assert weak.status_code == 422 and weak.get_json()["field"] == "new_password"


def test_the_page_changes_the_password_and_may_keep_other_sessions(rt, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    elsewhere = web.another()
    assert elsewhere.try_login(ana, code=_spare(rt, "ana")[0]).status_code == 302
    fields = {"current_password": ana.password, "new_password": NEW, "repeat": NEW}
    no_code = web.submit("/me/password", fields, otp="", end_others="y")
    assert no_code.status_code == 422
    done = web.submit("/me/password", fields, otp=ana.code())  # box unticked: keep them
    assert done.status_code == 302
    assert elsewhere.client.get("/me").status_code == 200
    with rt.store.session() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:password")).one()
    assert entry.details["sessions_ended"] == 0


def test_the_page_ends_other_sessions_when_asked(rt, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    elsewhere = web.another()
    assert elsewhere.try_login(ana, code=_spare(rt, "ana")[0]).status_code == 302
    fields = {"current_password": ana.password, "new_password": NEW, "repeat": NEW}
    done = web.submit("/me/password", fields, otp=ana.code(), end_others="y")
    assert done.status_code == 302
    assert web.client.get("/me").status_code == 200
    assert elsewhere.client.get("/me").status_code == 302


def _cli(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return postgate_cli(list(args), {**env, "PATH": "/usr/bin:/bin"}, stdin=stdin)


def test_the_cli_sets_a_password_and_ends_the_sessions(rt, env, client, actors) -> None:
    ana = actors.person("ana", "author")
    done = _cli(env, "users", "password", "ana", "--password-stdin", stdin=NEW + "\n")
    assert done.returncode == 0, done.stderr
    assert "1 sessions ended" in done.stdout and NEW not in done.stdout
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401
    assert _login(client, "ana", NEW, ana.code()).status_code == 201
    weak = _cli(env, "users", "password", "ana", "--password-stdin", stdin="password1234\n")
    assert weak.returncode == 1 and weak.stderr.count("\n") == 1
    assert "Traceback" not in weak.stderr
    with rt.store.session() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:password")).one()
    assert entry.actor == "cli"


def test_a_weak_new_password_does_not_spend_the_code(client, actors) -> None:
    """The policy is checked while the body is read, before the code is taken."""
    ana = actors.person("ana", "author")
    code = ana.code()
    weak = client.post(
        "/api/v1/me/password",
        json={"current_password": ana.password, "new_password": "short", "otp": code},
        headers=ana.headers,
    )
    assert weak.status_code == 422 and weak.get_json()["field"] == "new_password"
    done = client.post(
        "/api/v1/me/password",
        json={"current_password": ana.password, "new_password": NEW, "otp": code},
        headers=ana.headers,
    )
    assert done.status_code == 200, done.get_json()
