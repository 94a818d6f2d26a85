"""Revocation, user administration and TOTP enrollment over the API (who may call which
endpoint: ``test_endpoint_access.py``)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway import create_app
from postgate import otp
from postgate.services.recovery_codes import replace_recovery_codes
from postgate.store.models import Account, Approval, AuditEntry, AuthToken, Post, User


@pytest.fixture
def approval(rt, actors):
    """A reviewer's approval on a scheduled post and on a published one."""
    rita = actors.person("rita", "reviewer")
    with rt.store.transaction() as db:
        author = db.scalar(select(User).where(User.username == "rita"))
        account = Account(name="main", platform="sandbox")
        db.add(account)
        db.flush()
        ids = []
        for status in ("scheduled", "published"):
            post = Post(
                account_id=account.id,
                author_id=author.id,
                text=f"a {status} post",
                content_hash="h" * 64,
                status=status,
            )
            post.approvals.append(Approval(reviewer_id=author.id, content_hash="h" * 64))
            db.add(post)
            db.flush()
            ids.append(post.approvals[0].id)
    return rita, ids


def test_revoke_cuts_the_user_off_at_once(rt, client, actors, approval) -> None:
    rita, (open_approval, published_approval) = approval
    other_instance = create_app({"TESTING": True}, settings=rt.settings).test_client()
    assert other_instance.get("/api/v1/me", headers=rita.headers).status_code == 200
    sec = actors.person("sec", "security")
    response = client.post(
        "/api/v1/users/rita/revoke", json={"otp": sec.code()}, headers=sec.headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["approvals_voided"] == 1
    assert client.get("/api/v1/me", headers=rita.headers).status_code == 401
    assert other_instance.get("/api/v1/me", headers=rita.headers).status_code == 401
    relogin = client.post(
        "/api/v1/session",
        json={"username": "rita", "password": rita.password, "otp": rita.code()},
    )
    assert relogin.status_code == 401
    with rt.store.session() as db:
        assert db.get(Approval, open_approval).voided_at is not None
        assert db.get(Approval, published_approval).voided_at is None
        assert db.get(Post, db.get(Approval, open_approval).post_id).status == "pending_review"
        assert all(
            t.revoked_at for t in db.scalars(select(AuthToken).where(AuthToken.user_id == 1))
        )
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user:revoke"))
    assert entry.actor == "sec" and entry.target == "user:rita"


def test_revoke_needs_a_fresh_code(rt, client, actors) -> None:
    actors.person("rita", "reviewer")
    runtime_settings = rt.settings.with_overrides(step_up_seconds=0)
    strict = create_app({"TESTING": True}, settings=runtime_settings).test_client()
    sec = actors.person("sec", "security")
    refused = strict.post("/api/v1/users/rita/revoke", json={}, headers=sec.headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "otp_required"
    bad = strict.post(
        "/api/v1/users/rita/revoke",
        json={"otp": otp.code_at(sec.secret, otp.current_step() - 3)},
        headers=sec.headers,
    )
    assert bad.get_json()["error"] == "otp_invalid"
    ok = strict.post("/api/v1/users/rita/revoke", json={"otp": sec.code()}, headers=sec.headers)
    assert ok.status_code == 200


def test_nobody_revokes_themselves(client, actors) -> None:
    sec = actors.person("sec", "security")
    response = client.post("/api/v1/users/sec/revoke", json={}, headers=sec.headers)
    assert response.status_code == 409


def test_admin_creates_users_and_changes_roles(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    weak = client.post(
        "/api/v1/users",
        json={"username": "nina", "roles": ["author"], "password": "password123!"},
        headers=adm.headers,
    )
    assert weak.status_code == 422 and weak.get_json()["field"] == "password"
    made = client.post(
        "/api/v1/users", json={"username": "nina", "roles": ["author"]}, headers=adm.headers
    )
    assert made.status_code == 201
    body = made.get_json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert body["qr_svg"].startswith("<svg") and body["password"]
    changed = client.put(
        "/api/v1/users/nina/roles", json={"roles": ["author", "reviewer"]}, headers=adm.headers
    )
    assert changed.get_json()["roles"] == ["author", "reviewer"]
    last_admin = client.put(
        "/api/v1/users/adm/roles", json={"roles": ["security"]}, headers=adm.headers
    )
    assert last_admin.status_code == 409
    listed = client.get("/api/v1/users", headers=adm.headers).get_json()["users"]
    assert [u["username"] for u in listed] == ["adm", "nina"]
    with rt.store.session() as db:
        actions = db.scalars(select(AuditEntry.action)).all()
    assert "user:create" in actions and "user:roles" in actions


def test_role_removal_bites_on_the_next_request(client, actors) -> None:
    adm = actors.person("adm", "admin")
    sec = actors.person("sec", "security")
    assert client.get("/api/v1/users", headers=sec.headers).status_code == 200
    client.put("/api/v1/users/sec/roles", json={"roles": ["author"]}, headers=adm.headers)
    assert client.get("/api/v1/users", headers=sec.headers).status_code == 403


def test_enrollment_needs_a_first_code_then_gives_recovery_codes(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    with rt.store.transaction() as db:
        ana_id = db.scalar(select(User.id).where(User.username == "ana"))
        spare = replace_recovery_codes(db, ana_id)  # a code typed now, without a TOTP step
    started = client.post("/api/v1/me/totp", json={"otp": spare[0]}, headers=ana.headers)
    assert started.status_code == 201
    new_secret = re.search(r"secret=([A-Z2-7]+)", started.get_json()["otpauth_uri"]).group(1)
    assert "<svg" in started.get_json()["qr_svg"]
    # Until confirmed, the old secret and recovery codes still rule.
    assert client.get("/api/v1/me", headers=ana.headers).get_json()["recovery_codes_left"] == 9
    wrong = client.post(
        "/api/v1/me/totp/confirm",
        json={"otp": otp.code_at(new_secret, otp.current_step() - 4)},
        headers=ana.headers,
    )
    assert wrong.status_code == 401
    step = otp.current_step() + 1
    confirmed = client.post(
        "/api/v1/me/totp/confirm",
        json={"otp": otp.code_at(new_secret, step)},
        headers=ana.headers,
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    codes = confirmed.get_json()["recovery_codes"]
    assert len(codes) == 10
    assert client.get("/api/v1/me", headers=ana.headers).get_json()["recovery_codes_left"] == 10
    old_code = otp.code_at(ana.secret, step + 1)
    login_old = client.post(
        "/api/v1/session", json={"username": "ana", "password": ana.password, "otp": old_code}
    )
    assert login_old.status_code == 401
    with rt.store.session() as db:
        enrolled = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "user:totp-enroll")
        ).all()
    assert [e.details["stage"] for e in enrolled] == ["started", "confirmed"]


def test_totp_reset_is_admin_only_with_2fa_and_ends_sessions(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    sec = actors.person("sec", "security")
    assert (
        client.post("/api/v1/users/ana/totp/reset", json={}, headers=sec.headers).status_code == 403
    )
    strict = create_app(
        {"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0)
    ).test_client()
    adm = actors.person("adm", "admin")
    assert (
        strict.post("/api/v1/users/ana/totp/reset", json={}, headers=adm.headers).status_code == 401
    )
    reset = strict.post(
        "/api/v1/users/ana/totp/reset", json={"otp": adm.code()}, headers=adm.headers
    )
    assert reset.status_code == 200
    new_secret = reset.get_json()["totp_secret"]
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401
    login = client.post(
        "/api/v1/session",
        json={
            "username": "ana",
            "password": ana.password,
            "otp": otp.code_at(new_secret, otp.current_step() + 1),
        },
    )
    assert login.status_code == 201
    with rt.store.session() as db:
        assert db.scalar(select(User).where(User.username == "ana")).totp_confirmed


def test_users_list_and_revoke_only_their_own_tokens(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    bob = actors.person("bob", "author")
    made = client.post(
        "/api/v1/tokens", json={"name": "ci", "otp": ana.code()}, headers=ana.headers
    )
    assert made.status_code == 201
    token_id = made.get_json()["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bob.headers).status_code == 404
    listed = client.get("/api/v1/tokens", headers=ana.headers).get_json()["tokens"]
    assert {t["id"] for t in listed} == {1, token_id}
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=ana.headers).status_code == 204
    api_token = {"Authorization": f"Bearer {made.get_json()['token']}"}
    assert client.get("/api/v1/me", headers=api_token).status_code == 401
    assert len(client.get("/api/v1/tokens", headers=ana.headers).get_json()["tokens"]) == 1
