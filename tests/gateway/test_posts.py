"""Posts and four-eyes review through the API (invariants 1, 2, 3)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import approve_post, make_account


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    return {
        "author": actors.person("alice", "author"),
        "reviewer": actors.person("bob", "reviewer"),
        "reviewer2": actors.person("carol", "reviewer"),
        "both": actors.person("dave", "author", "reviewer"),
    }


def later(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def submit(client, person, text="Nouvelle collection disponible demain !", **extra):
    body = {"account": "acme", "text": text, "scheduled_at": later(), **extra}
    return client.post("/api/v1/posts", json=body, headers=person.headers)


def approve(client, person, post_id, **extra):
    """Approve within the step-up window opened by the reviewer's TOTP login."""
    return approve_post(client, person, post_id, **extra)


def test_submission_is_stored_pending_review_with_hash(client, people):
    response = submit(client, people["author"])
    assert response.status_code == 201
    post = response.get_json()
    assert post["status"] == "pending_review" and post["author"] == "alice"
    assert len(post["content_hash"]) == 64 and post["approvals"] == []
    fetched = client.get(f"/api/v1/posts/{post['id']}", headers=people["author"].headers)
    assert fetched.get_json()["text"] == "Nouvelle collection disponible demain !"


def test_post_with_blocking_findings_is_kept_as_blocked(client, people):
    response = submit(client, people["author"], text="Cette offre est une arnaque, connard")
    assert response.status_code == 201
    post = response.get_json()
    assert post["status"] == "blocked"
    assert any(f["severity"] == "block" for f in post["findings"])


def test_blocked_post_cannot_be_approved(client, people):
    post = submit(client, people["author"], text="Quelle arnaque").get_json()
    response = approve(client, people["reviewer"], post["id"])
    assert response.status_code == 409


def test_author_cannot_approve_own_post(client, people):
    post = submit(client, people["both"]).get_json()
    response = approve(client, people["both"], post["id"])
    assert response.status_code == 403
    assert (
        client.get(f"/api/v1/posts/{post['id']}", headers=people["both"].headers).get_json()[
            "status"
        ]
        == "pending_review"
    )


def test_approval_schedules_and_records_reviewer(client, people):
    post = submit(client, people["author"]).get_json()
    response = approve(client, people["reviewer"], post["id"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "scheduled"
    assert [a["reviewer"] for a in body["approvals"]] == ["bob"]


def test_approval_needs_fresh_otp_without_recent_step_up(client, people, rt):
    post = submit(client, people["author"]).get_json()
    reviewer = people["reviewer"]
    with rt.store.transaction() as db:
        from sqlalchemy import update

        from postgate.store.models import AuthToken

        db.execute(update(AuthToken).values(step_up_at=None))
    response = approve(client, reviewer, post["id"])
    assert response.status_code == 401 and response.get_json()["error"] == "otp_required"
    wrong = approve(client, reviewer, post["id"], otp="000000")
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "otp_invalid"
    fresh = approve(client, reviewer, post["id"], otp=reviewer.code())
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "scheduled"


def test_second_approval_from_same_reviewer_does_not_count_twice(client, people, rt):
    make_account(rt, "acme-two", approvals=2)
    post = client.post(
        "/api/v1/posts",
        json={"account": "acme-two", "text": "Bonjour à tous", "scheduled_at": later()},
        headers=people["author"].headers,
    ).get_json()
    first = approve(client, people["reviewer"], post["id"])
    assert first.get_json()["status"] == "pending_review"
    again = approve(client, people["reviewer"], post["id"])
    assert again.status_code == 409
    detail = client.get(f"/api/v1/posts/{post['id']}", headers=people["author"].headers).get_json()
    assert detail["status"] == "pending_review" and len(detail["approvals"]) == 1
    second = approve(client, people["reviewer2"], post["id"])
    assert second.get_json()["status"] == "scheduled"
    assert sorted(a["reviewer"] for a in second.get_json()["approvals"]) == ["bob", "carol"]


def test_edit_after_approval_voids_it_and_returns_to_review(client, people):
    post = submit(client, people["author"]).get_json()
    approved = approve(client, people["reviewer"], post["id"]).get_json()
    assert approved["status"] == "scheduled"
    edited = client.patch(
        f"/api/v1/posts/{post['id']}",
        json={"text": "Texte modifié"},
        headers=people["author"].headers,
    )
    assert edited.status_code == 200
    body = edited.get_json()
    assert body["status"] == "pending_review" and body["approvals"] == []
    assert body["content_hash"] != approved["content_hash"]


def test_edit_of_schedule_changes_hash(client, people):
    post = submit(client, people["author"]).get_json()
    moved = client.patch(
        f"/api/v1/posts/{post['id']}",
        json={"scheduled_at": later(120)},
        headers=people["author"].headers,
    ).get_json()
    assert moved["content_hash"] != post["content_hash"]


def test_flag_must_be_acknowledged(client, people):
    text = "Le moins cher du marché, à découvrir en boutique"
    post = submit(client, people["author"], text=text).get_json()
    flags = [f["rule"] for f in post["findings"] if f["severity"] == "flag"]
    assert flags and post["status"] == "pending_review"
    refused = approve(client, people["reviewer"], post["id"])
    assert refused.status_code == 422 and refused.get_json()["field"] == "acknowledge"
    ok = approve(client, people["reviewer"], post["id"], acknowledge=flags)
    assert ok.status_code == 200 and ok.get_json()["status"] == "scheduled"


def test_reject_needs_reason_and_ends_review(client, people):
    post = submit(client, people["author"]).get_json()
    url = f"/api/v1/posts/{post['id']}/reject"
    assert client.post(url, json={}, headers=people["reviewer"].headers).status_code == 422
    rejected = client.post(url, json={"reason": "Hors charte"}, headers=people["reviewer"].headers)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"


def test_authors_see_only_their_posts(client, people):
    submit(client, people["author"])
    other = submit(client, people["both"]).get_json()
    mine = client.get("/api/v1/posts", headers=people["author"].headers).get_json()["posts"]
    assert {p["author"] for p in mine} == {"alice"}
    assert (
        client.get(f"/api/v1/posts/{other['id']}", headers=people["author"].headers).status_code
        == 404
    )
    everything = client.get("/api/v1/posts", headers=people["reviewer"].headers).get_json()["posts"]
    assert {p["author"] for p in everything} == {"alice", "dave"}


def test_only_author_edits_and_cancel_states(client, people):
    post = submit(client, people["author"]).get_json()
    url = f"/api/v1/posts/{post['id']}"
    assert (
        client.patch(url, json={"text": "x y"}, headers=people["reviewer"].headers).status_code
        == 403
    )
    cancelled = client.post(url + "/cancel", headers=people["author"].headers)
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.post(url + "/cancel", headers=people["author"].headers).status_code == 409
    assert (
        client.patch(url, json={"text": "x y"}, headers=people["author"].headers).status_code == 409
    )


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"account": "acme"}, "text", 422),
        ({"account": "acme", "text": "   "}, "text", 422),
        ({"account": "nope", "text": "hi"}, "account", 404),
        ({"text": "hi"}, "account", 422),
        ({"account": "acme", "text": "hi", "scheduled_at": "tomorrow"}, "scheduled_at", 422),
        (
            {"account": "acme", "text": "hi", "scheduled_at": "2030-01-01T10:00:00"},
            "scheduled_at",
            422,
        ),
        (
            {"account": "acme", "text": "hi", "scheduled_at": "2001-01-01T10:00:00Z"},
            "scheduled_at",
            422,
        ),
        ({"account": "acme", "text": 42}, "text", 422),
    ],
)
def test_bad_submissions_name_the_field(client, people, body, field, status):
    response = client.post("/api/v1/posts", json=body, headers=people["author"].headers)
    assert response.status_code == status
    assert response.get_json()["field"] == field


def test_malformed_json_is_400(client, people):
    response = client.post(
        "/api/v1/posts",
        data="{not json",
        content_type="application/json",
        headers=people["author"].headers,
    )
    assert response.status_code == 400 and response.get_json()["error"] == "malformed"


def test_reviewer_only_cannot_submit(client, people):
    response = submit(client, people["reviewer"])
    assert response.status_code == 403


def test_revoking_reviewer_voids_unpublished_approvals(client, people, rt):
    from postgate.services.approvals import void_approvals_of_reviewer
    from postgate.services.users import find_user

    post = submit(client, people["author"]).get_json()
    assert approve(client, people["reviewer"], post["id"]).get_json()["status"] == "scheduled"
    with rt.store.transaction() as db:
        assert void_approvals_of_reviewer(rt, db, find_user(db, "bob").id, reason="revoked") == 1
    detail = client.get(f"/api/v1/posts/{post['id']}", headers=people["author"].headers).get_json()
    assert detail["status"] == "pending_review" and detail["approvals"] == []


def test_every_decision_is_audited(client, people, rt):
    from postgate import audit

    post = submit(client, people["author"]).get_json()
    approve(client, people["reviewer"], post["id"])
    with rt.store.session() as db:
        from sqlalchemy import select

        from postgate.store.models import AuditEntry

        actions = [
            e.action
            for e in db.scalars(select(AuditEntry).where(AuditEntry.target == f"post:{post['id']}"))
        ]
        assert audit.verify_chain(db, rt.audit_key).ok
    assert actions == ["post:submit", "post:approve", "post:schedule"]
