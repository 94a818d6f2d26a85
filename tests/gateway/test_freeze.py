"""Freeze and lift through the API (invariants 3, 7, 10)."""

from __future__ import annotations

from sqlalchemy import select

from postgate.services.freezes import freeze_blocks, is_frozen
from postgate.store.models import AuditEntry, Post, User
from tests.helpers import make_account


def audit_actions(rt) -> list[str]:
    with rt.store.session() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_freeze_needs_security_or_admin(client, actors):
    make_account(actors.rt, "acme")
    author = actors.person("alice", "author", "reviewer")
    response = client.post(
        "/api/v1/freeze", json={"reason": "hacked", "account": "acme"}, headers=author.headers
    )
    assert response.status_code == 403


def test_freeze_needs_fresh_otp(rt, actors):
    from gateway import create_app

    make_account(rt, "acme")
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    client = app.test_client()
    lead = actors.create("sam", "security")
    lead.token = client.post(
        "/api/v1/session",
        json={"username": "sam", "password": lead.password, "otp": lead.code()},
    ).get_json()["token"]
    body = {"reason": "hacked", "account": "acme"}
    response = client.post("/api/v1/freeze", json=body, headers=lead.headers)
    assert response.status_code == 401 and response.get_json()["error"] == "otp_required"
    response = client.post(
        "/api/v1/freeze", json={**body, "otp": lead.code()}, headers=lead.headers
    )
    assert response.status_code == 201


def test_account_freeze_and_lift_are_audited(rt, client, actors):
    acme, other = make_account(rt, "acme"), make_account(rt, "other")
    lead = actors.person("sam", "security")
    response = client.post(
        "/api/v1/freeze", json={"account": "acme", "reason": "hacked"}, headers=lead.headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["scope"] == "account" and body["account"] == "acme" and body["created_by"] == "sam"
    with rt.store.session() as db:
        assert is_frozen(db, acme) and not is_frozen(db, other)
    listed = client.get("/api/v1/freezes", headers=lead.headers).get_json()["freezes"]
    assert [f["account"] for f in listed] == ["acme"]
    again = client.post(
        "/api/v1/freeze", json={"account": "acme", "reason": "again"}, headers=lead.headers
    )
    assert again.get_json()["already_in_force"] is True and again.get_json()["id"] == body["id"]

    lifted = client.post("/api/v1/freeze/lift", json={"account": "acme"}, headers=lead.headers)
    assert lifted.status_code == 200 and lifted.get_json()["lifted"][0]["lifted_by"] == "sam"
    with rt.store.session() as db:
        assert not is_frozen(db, acme)
    again = client.post("/api/v1/freeze/lift", json={"account": "acme"}, headers=lead.headers)
    assert again.status_code == 409
    assert audit_actions(rt).count("freeze:set") == 1
    assert audit_actions(rt).count("freeze:lift") == 1


def test_global_freeze_covers_every_account_and_its_lift_keeps_account_freezes(rt, client, actors):
    acme, other = make_account(rt, "acme"), make_account(rt, "other")
    admin = actors.person("ada", "admin")
    client.post("/api/v1/freeze", json={"reason": "all stop"}, headers=admin.headers)
    client.post("/api/v1/freeze", json={"account": "acme", "reason": "x"}, headers=admin.headers)
    with rt.store.session() as db:
        assert is_frozen(db, acme) and is_frozen(db, other)
    assert client.post("/api/v1/freeze/lift", json={}, headers=admin.headers).status_code == 200
    with rt.store.session() as db:
        assert is_frozen(db, acme) and not is_frozen(db, other)


def test_freeze_reports_posts_in_flight_and_blocks_others(rt, client, actors):
    acme = make_account(rt, "acme")
    lead = actors.person("sam", "security")
    with rt.store.transaction() as db:
        author = db.scalar(select(User).where(User.username == "sam"))

        def post(text: str, status: str, **more) -> Post:
            return Post(
                account_id=acme,
                author_id=author.id,
                text=text,
                content_hash="",
                status=status,
                **more,
            )

        # Its call went out and its outcome is unknown: a person checks it.
        flying = post("a", "publishing", outcome_unknown=True)
        waiting = post("b", "scheduled")
        crisis = post("c", "scheduled", crisis_statement=True)
        claimed = post("d", "publishing")  # its call has not passed the gate: it never will
        db.add_all([flying, waiting, crisis, claimed])
        db.flush()
        ids = flying.id, waiting.id, crisis.id
    body = client.post(
        "/api/v1/freeze", json={"account": "acme", "reason": "r"}, headers=lead.headers
    ).get_json()
    assert [p["id"] for p in body["in_flight"]] == [ids[0]]
    with rt.store.session() as db:
        assert freeze_blocks(db, db.get(Post, ids[1]))
        assert freeze_blocks(db, db.get(Post, ids[2])) is None


def test_freeze_without_reason_or_unknown_account(client, actors, rt):
    make_account(rt, "acme")
    lead = actors.person("sam", "security")
    assert client.post("/api/v1/freeze", json={}, headers=lead.headers).status_code == 422
    response = client.post(
        "/api/v1/freeze", json={"account": "nope", "reason": "r"}, headers=lead.headers
    )
    assert response.status_code == 404


def test_the_accounts_answer_says_which_accounts_a_freeze_holds(rt, client, actors):
    """``GET /accounts`` shows a freeze as it stands: an account's own, a global one over
    every account, and neither once lifted; ``status`` keeps saying whether the
    credentials can be used."""
    make_account(rt, "acme")
    make_account(rt, "other")
    lead = actors.person("sam", "security")

    def frozen() -> dict[str, bool]:
        answer = client.get("/api/v1/accounts", headers=lead.headers).get_json()
        assert {a["status"] for a in answer["accounts"]} == {"active"}
        return {a["name"]: a["frozen"] for a in answer["accounts"]}

    assert frozen() == {"acme": False, "other": False}
    freeze = {"account": "acme", "reason": "hacked", "otp": lead.code()}
    assert client.post("/api/v1/freeze", json=freeze, headers=lead.headers).status_code == 201
    assert frozen() == {"acme": True, "other": False}
    everything = {"reason": "drill"}
    assert client.post("/api/v1/freeze", json=everything, headers=lead.headers).status_code == 201
    assert frozen() == {"acme": True, "other": True}
    assert client.post("/api/v1/freeze/lift", json={}, headers=lead.headers).status_code == 200
    assert frozen() == {"acme": True, "other": False}
    lift = {"account": "acme"}
    assert client.post("/api/v1/freeze/lift", json=lift, headers=lead.headers).status_code == 200
    assert frozen() == {"acme": False, "other": False}
