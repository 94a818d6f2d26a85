"""Names as people type them: ``victimA`` and ``victima`` are one account, one user.

Names are stored in lower case; every lookup (API paths, request bodies, CLI, the web
filters) folds the case of what was typed, so a name that was accepted is never answered
with a 404 because of its capitals.
"""

from __future__ import annotations

import pytest

from sandbox import client as sandbox_client
from sandbox.server import running_sandbox


@pytest.fixture
def sandbox_url(tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield url


def test_account_typed_with_capitals_is_found_with_any_case(client, actors, sandbox_url):
    admin = actors.person("ann", "admin")
    token = sandbox_client.issue_token(sandbox_url, "victima")["access_token"]
    body = {
        "name": "victimA",
        "platform": "sandbox",
        "base_url": sandbox_url,
        "credentials": token,
        "windows": ["mon-sun 00:00-23:59"],
    }
    added = client.post("/api/v1/accounts", json=body, headers=admin.headers)
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["name"] == "victima"
    again = client.post("/api/v1/accounts", json={**body, "name": "VICTIMA"}, headers=admin.headers)
    assert again.status_code == 409 and again.get_json()["field"] == "name"
    changed = client.patch(
        "/api/v1/accounts/victimA", json={"approvals_required": 2}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["approvals_required"] == 2
    author = actors.person("alice", "author")
    post = client.post(
        "/api/v1/posts", json={"account": "VictimA", "text": "hello"}, headers=author.headers
    )
    assert post.status_code in (201, 202), post.get_json()


def test_user_typed_with_capitals_is_found_with_any_case(client, actors):
    admin = actors.person("ann", "admin")
    created = client.post(
        "/api/v1/users", json={"username": "BobR", "roles": ["author"]}, headers=admin.headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["username"] == "bobr"
    clash = client.post(
        "/api/v1/users", json={"username": "bobR", "roles": ["author"]}, headers=admin.headers
    )
    assert clash.status_code == 409
    roles = client.put(
        "/api/v1/users/BobR/roles", json={"roles": ["reviewer"]}, headers=admin.headers
    )
    assert roles.status_code == 200, roles.get_json()
    assert roles.get_json()["roles"] == ["reviewer"]
