"""Logging in over the API: password and TOTP, once-only codes, lockout and rate limits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from gateway import create_app
from postgate import otp
from postgate.services import recovery_codes
from postgate.store.models import AuditEntry, AuthToken, User
from postgate.store.types import utcnow


def _login(client, person, code, password=None, **environ):
    return client.post(
        "/api/v1/session",
        json={
            "username": person.username,
            "password": password or person.password,
            "otp": code,
        },
        environ_base=environ,
    )


def test_login_gives_a_token_stored_only_hashed(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    response = _login(client, ana, ana.code())
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["username"] == "ana"
    with rt.store.session() as db:
        stored = db.scalars(select(AuthToken.token_hash)).all()
        actions = db.scalars(select(AuditEntry.action)).all()
    assert token not in stored and len(stored) == 1
    assert "session:login" in actions


def test_wrong_password_and_unknown_user_answer_alike(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    wrong = _login(client, ana, ana.code(), password="not the password at all")
    ghost = client.post(
        "/api/v1/session", json={"username": "ghost", "password": "whatever it is", "otp": "123456"}
    )
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.get_json() == ghost.get_json()
    with rt.store.session() as db:
        failures = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "session:login-failure")
        ).all()
    assert len(failures) == 2


def test_missing_code_is_asked_for_before_the_password_is_checked(client, actors) -> None:
    ana = actors.create("ana", "author")
    right = client.post("/api/v1/session", json={"username": "ana", "password": ana.password})
    wrong = client.post("/api/v1/session", json={"username": "ana", "password": "nope nope nope"})
    assert right.status_code == wrong.status_code == 401
    assert right.get_json() == wrong.get_json()
    assert right.get_json()["error"] == "otp_required"


def test_wrong_code_is_refused(client, actors) -> None:
    ana = actors.create("ana", "author")
    good = ana.code()
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    response = _login(client, ana, bad)
    assert response.status_code == 401
    assert response.get_json()["error"] == "login_failed"  # like any failed login


def test_replayed_code_is_refused(client, actors) -> None:
    ana = actors.create("ana", "author")
    code = ana.code()
    assert _login(client, ana, code).status_code == 201
    again = _login(client, ana, code)
    assert again.status_code == 401
    assert again.get_json()["error"] == "login_failed"


def test_expired_code_is_refused(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    old = otp.code_at(ana.secret, otp.current_step() - 2)
    response = _login(client, ana, old)
    assert response.status_code == 401
    assert response.get_json()["error"] == "login_failed"
    with rt.store.session() as db:
        failure = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "session:otp-failure")
        ).one()
    assert failure.details["problem"] == "out of sync"  # the log tells; the answer does not


def test_code_one_step_old_is_accepted(client, actors) -> None:
    ana = actors.create("ana", "author")
    assert _login(client, ana, otp.code_at(ana.secret, otp.current_step() - 1)).status_code == 201


def test_replay_refused_across_two_app_instances(rt, actors) -> None:
    ana = actors.create("ana", "author")
    first = create_app({"TESTING": True}, settings=rt.settings).test_client()
    second = create_app({"TESTING": True}, settings=rt.settings).test_client()
    code = ana.code()
    assert _login(first, ana, code).status_code == 201
    replay = _login(second, ana, code)
    assert replay.status_code == 401
    assert replay.get_json()["error"] == "login_failed"


def test_code_used_for_step_up_cannot_log_in_again(client, actors) -> None:
    """The request's copy of the user must never write an older accepted step back."""
    ana = actors.person("ana", "author")
    code = ana.code()
    made = client.post("/api/v1/tokens", json={"name": "ci", "otp": code}, headers=ana.headers)
    assert made.status_code == 201
    assert _login(client, ana, code).status_code == 401


def test_lockout_after_five_wrong_codes_and_its_expiry(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    old = otp.code_at(ana.secret, otp.current_step() - 5)
    for _ in range(5):
        assert _login(client, ana, old).status_code == 401
    locked = _login(client, ana, ana.code())
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 800
    with rt.store.transaction() as db:
        db.execute(
            update(User)
            .where(User.username == "ana")
            .values(otp_locked_until=utcnow() - timedelta(seconds=1))
        )
    assert _login(client, ana, ana.code()).status_code == 201


def test_four_wrong_codes_do_not_lock(client, actors) -> None:
    ana = actors.create("ana", "author")
    old = otp.code_at(ana.secret, otp.current_step() - 5)
    for _ in range(4):
        assert _login(client, ana, old).status_code == 401
    assert _login(client, ana, ana.code()).status_code == 201


def test_logins_are_rate_limited_per_user_and_address(rt, actors) -> None:
    settings = rt.settings.with_overrides(login_limit_per_user=3, login_limit_window=60)
    client = create_app({"TESTING": True}, settings=settings).test_client()
    ana = actors.create("ana", "author")
    for _ in range(3):
        assert _login(client, ana, "123456", password="wrong password here").status_code == 401
    limited = _login(client, ana, ana.code())
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.get_json()["error"] == "rate_limited"
    # Another address is slowed down (one try at a time), not locked out.
    assert _login(client, ana, ana.code(), REMOTE_ADDR="10.9.9.9").status_code == 201


def test_logins_are_rate_limited_per_address(rt, actors) -> None:
    settings = rt.settings.with_overrides(login_limit_per_address=3, login_limit_window=60)
    client = create_app({"TESTING": True}, settings=settings).test_client()
    ana = actors.create("ana", "author")
    for name in ("bob", "carl", "dora"):
        response = client.post(
            "/api/v1/session", json={"username": name, "password": "some password", "otp": "1"}
        )
        assert response.status_code == 401
    assert _login(client, ana, ana.code()).status_code == 429
    assert _login(client, ana, ana.code(), REMOTE_ADDR="10.1.2.3").status_code == 201


def test_recovery_code_replaces_the_totp_code_once(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    with rt.store.transaction() as db:
        user_id = db.scalar(select(User.id).where(User.username == "ana"))
        codes = recovery_codes.replace_recovery_codes(db, user_id)
    assert _login(client, ana, codes[3]).status_code == 201
    assert _login(client, ana, codes[3]).status_code == 401
    with rt.store.session() as db:
        assert "user:recovery-code-used" in db.scalars(select(AuditEntry.action)).all()


def test_disabled_user_cannot_log_in(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    with rt.store.transaction() as db:
        db.execute(update(User).where(User.username == "ana").values(disabled=True))
    response = _login(client, ana, ana.code())
    assert response.status_code == 401
    assert response.get_json()["error"] == "login_failed"


def test_logout_ends_the_token(client, actors) -> None:
    ana = actors.person("ana", "author")
    assert client.delete("/api/v1/session", headers=ana.headers).status_code == 204
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401


def test_expired_session_is_refused(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    with rt.store.transaction() as db:
        db.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401
