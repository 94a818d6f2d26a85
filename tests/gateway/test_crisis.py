"""Crisis statements: the only posts that may go out on a frozen account (invariant 7)."""

from __future__ import annotations

from sqlalchemy import select

from postgate.services.crisis import statement_templates
from postgate.store.models import AuditEntry
from tests.helpers import approve_post, make_account

STATEMENT = "Des messages non autorisés ont été publiés sur ce compte. Ils ont été supprimés."


def freeze(client, lead, account="acme"):
    response = client.post(
        "/api/v1/freeze", json={"account": account, "reason": "hacked"}, headers=lead.headers
    )
    assert response.status_code == 201


def submit(client, author, text=STATEMENT):
    response = client.post(
        "/api/v1/posts", json={"account": "acme", "text": text}, headers=author.headers
    )
    assert response.status_code == 201
    return response.get_json()


def mark(client, person, post_id, **body):
    return client.post(f"/api/v1/posts/{post_id}/crisis", json=body, headers=person.headers)


def test_marked_statement_passes_the_freeze_and_review(rt, client, actors):
    make_account(rt, "acme")
    lead = actors.person("sam", "security")
    author = actors.person("alice", "author")
    reviewer = actors.person("bob", "reviewer")
    freeze(client, lead)
    post = submit(client, author)
    assert post["status"] == "blocked"  # the freeze rule blocks ordinary posts
    assert reviewer_approves(client, reviewer, post["id"]).status_code == 409

    marked = mark(client, lead, post["id"])
    assert marked.status_code == 200, marked.get_json()
    assert marked.get_json()["crisis_statement"] is True
    assert marked.get_json()["status"] == "pending_review"
    approved = reviewer_approves(client, reviewer, post["id"])
    assert approved.status_code == 200 and approved.get_json()["status"] == "scheduled"
    with rt.store.session() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post:crisis-statement"))
        assert entry.actor == "sam" and entry.target == f"post:{post['id']}"


def reviewer_approves(client, reviewer, post_id):
    return approve_post(client, reviewer, post_id)


def test_marking_voids_earlier_approvals(rt, client, actors):
    make_account(rt, "acme")
    lead = actors.person("sam", "security")
    author = actors.person("alice", "author")
    reviewer = actors.person("bob", "reviewer")
    post = submit(client, author)
    assert reviewer_approves(client, reviewer, post["id"]).get_json()["status"] == "scheduled"
    freeze(client, lead)
    marked = mark(client, lead, post["id"]).get_json()
    assert marked["status"] == "pending_review" and marked["approvals"] == []


def test_only_security_during_a_freeze(rt, client, actors):
    make_account(rt, "acme")
    lead = actors.person("sam", "security")
    admin = actors.person("ada", "admin", "reviewer")
    author = actors.person("alice", "author")
    post = submit(client, author)
    assert mark(client, lead, post["id"]).status_code == 409  # no freeze in force
    freeze(client, lead)
    assert mark(client, admin, post["id"]).status_code == 403
    assert mark(client, author, post["id"]).status_code == 403
    assert mark(client, lead, post["id"] + 100).status_code == 404
    assert mark(client, lead, post["id"]).status_code == 200
    assert mark(client, lead, post["id"]).status_code == 409  # already one


def test_statement_templates_are_shipped_and_pass_the_rules(rt, client, actors):
    make_account(rt, "acme")
    author = actors.person("alice", "author")
    templates = statement_templates(rt)
    assert len(templates) >= 2
    for template in templates:
        assert submit(client, author, template["text"])["status"] == "pending_review"
    listed = client.get("/api/v1/crisis/templates", headers=author.headers).get_json()
    assert len(listed["templates"]) == len(templates)
