"""What used to leave no trace: a 403 (API and web), a rate-limited login, an attempt while
OTP entry is locked. Each now writes one audit entry per subject and minute."""

from __future__ import annotations

from sqlalchemy import select

from gateway import create_app
from postgate import otp
from postgate.store.models import AuditEntry
from tests.gateway.test_identity_login import _login


def entries(rt, action: str) -> list[AuditEntry]:
    with rt.store.session() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_api_403_is_audited_with_who_what_and_where(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    answer = client.get(
        "/api/v1/audit", headers=ana.headers, environ_base={"REMOTE_ADDR": "10.7.0.1"}
    )
    assert answer.status_code == 403
    (entry,) = entries(rt, "access:forbidden")
    assert (entry.actor, entry.target, entry.source, entry.result) == (
        "ana",
        "GET /api/v1/audit",
        "10.7.0.1",
        "refused",
    )
    assert entry.details["endpoint"] == "api.audit.list_entries"
    assert "security or admin" in entry.details["reason"]


def test_a_403_from_a_service_rule_is_audited(rt, client, actors) -> None:
    """Not a role decorator: the post service refuses an author approving."""
    from tests.helpers import make_account

    make_account(rt, "acme")
    ana = actors.person("ana", "author", "reviewer")
    post = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "hello"}, headers=ana.headers
    )
    answer = client.post(
        f"/api/v1/posts/{post.get_json()['id']}/approve", json={}, headers=ana.headers
    )
    assert answer.status_code == 403
    (entry,) = entries(rt, "access:forbidden")
    assert entry.target.endswith("/approve") and "own post" in entry.details["reason"]


def test_a_web_403_is_audited(rt, client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    assert client.get("/security").status_code == 403
    (entry,) = entries(rt, "access:forbidden")
    assert (entry.actor, entry.target) == ("ana", "GET /security")


def test_repeated_refusals_write_one_entry_a_minute(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    for _ in range(20):
        assert client.get("/api/v1/audit", headers=ana.headers).status_code == 403
    assert client.get("/api/v1/users", headers=ana.headers).status_code == 403
    assert [e.target for e in entries(rt, "access:forbidden")] == [
        "GET /api/v1/audit",
        "GET /api/v1/users",
    ]


def test_a_rate_limited_login_is_audited_once_per_minute(rt, actors) -> None:
    settings = rt.settings.with_overrides(login_limit_per_user=3, login_limit_window=60)
    client = create_app({"TESTING": True}, settings=settings).test_client()
    ana = actors.create("ana", "author")
    for _ in range(3):
        assert _login(client, ana, "123456", password="wrong password here").status_code == 401
    for _ in range(4):
        assert _login(client, ana, "123456").status_code == 429
    (entry,) = entries(rt, "access:rate-limited")
    assert (entry.actor, entry.source, entry.details["limit"]) == (
        "ana",
        "127.0.0.1",
        "login-user-address",
    )


def test_a_login_while_otp_entry_is_locked_is_audited(rt, client, actors) -> None:
    ana = actors.create("ana", "author")
    old = otp.code_at(ana.secret, otp.current_step() - 5)
    for _ in range(5):
        assert _login(client, ana, old).status_code == 401
    assert len(entries(rt, "session:otp-locked")) == 1
    assert _login(client, ana, ana.code()).status_code == 429  # the right code, while locked
    (entry,) = entries(rt, "access:rate-limited")
    assert (entry.actor, entry.details["limit"]) == ("ana", "otp-locked")
    assert entry.details["retry_after"] > 800
