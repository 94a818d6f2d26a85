"""Accounts through the API: admin + fresh 2FA, credentials verified, encrypted, never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from postgate.store.models import Account, AuditEntry, AuthToken
from sandbox import client as sandbox_client
from sandbox.server import running_sandbox


@pytest.fixture
def sandbox_url(tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


@pytest.fixture
def admin(actors):
    return actors.person("ann", "admin")


def add(client, person, sandbox_url, name="brand", **extra):
    token = sandbox_client.issue_token(sandbox_url, name)["access_token"]
    body = {
        "name": name,
        "platform": "sandbox",
        "base_url": sandbox_url,
        "credentials": token,
        "timezone": "Europe/Paris",
        "windows": ["mon-sun 00:00-23:59"],
        **extra,
    }
    return client.post("/api/v1/accounts", json=body, headers=person.headers), token


def test_admin_adds_account_credentials_never_shown(client, admin, actors, rt, sandbox_url):
    response, token = add(client, admin, sandbox_url)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "brand" and body["status"] == "active" and body["has_credentials"]
    author = actors.person("alice", "author")
    listed = client.get("/api/v1/accounts", headers=author.headers)
    assert listed.status_code == 200
    assert [a["name"] for a in listed.get_json()["accounts"]] == ["brand"]
    assert token not in listed.get_data(as_text=True) and token not in response.get_data(True)
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.name == "brand"))
        assert token not in account.credentials_enc
        entries = db.scalars(select(AuditEntry)).all()
        assert all(token not in str(e.details) for e in entries)


def test_changes_need_admin_and_fresh_otp(client, admin, actors, rt, sandbox_url):
    author = actors.person("alice", "author")
    refused, _ = add(client, author, sandbox_url)
    assert refused.status_code == 403
    with rt.store.transaction() as db:
        db.execute(update(AuthToken).values(step_up_at=None))
    needs_otp, _ = add(client, admin, sandbox_url)
    assert needs_otp.status_code == 401 and needs_otp.get_json()["error"] == "otp_required"
    with_code, _ = add(client, admin, sandbox_url, otp=admin.code())
    assert with_code.status_code == 201


def test_wrong_credentials_are_refused(client, admin, sandbox_url):
    body = {"name": "brand", "platform": "sandbox", "base_url": sandbox_url, "credentials": "x"}
    response = client.post("/api/v1/accounts", json=body, headers=admin.headers)
    assert response.status_code == 422 and "x" not in response.get_json()["message"].split()


def test_new_credentials_reconnect_a_disconnected_account(client, admin, rt, sandbox_url):
    add(client, admin, sandbox_url)
    with rt.store.transaction() as db:
        db.execute(update(Account).values(status="disconnected"))
    fresh = sandbox_client.issue_token(sandbox_url, "brand")["access_token"]
    response = client.put(
        "/api/v1/accounts/brand/credentials", json={"credentials": fresh}, headers=admin.headers
    )
    assert response.status_code == 200 and response.get_json()["status"] == "active"
    assert fresh not in response.get_data(as_text=True)
    bad = client.put(
        "/api/v1/accounts/brand/credentials", json={"credentials": "nope"}, headers=admin.headers
    )
    assert bad.status_code == 422


def test_patch_changes_windows_and_approvals(client, admin, sandbox_url):
    add(client, admin, sandbox_url)
    response = client.patch(
        "/api/v1/accounts/brand",
        json={"windows": ["mon-fri 09:00-18:00"], "approvals_required": 2},
        headers=admin.headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["windows"] == ["mon-fri 09:00-18:00"] and body["approvals_required"] == 2
    bad = client.patch("/api/v1/accounts/brand", json={"windows": ["nope"]}, headers=admin.headers)
    assert bad.status_code == 422
    missing = client.patch(
        "/api/v1/accounts/ghost", json={"timezone": "UTC"}, headers=admin.headers
    )
    assert missing.status_code == 404
