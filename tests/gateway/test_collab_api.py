"""Working together through the API: drafts, one compose with a text per network, comments,
the reasons of rejections and the platform previews."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import approve_post, make_account


@pytest.fixture
def people(actors):
    make_account(actors.rt, "acme")
    make_account(actors.rt, "birdy", platform="x")
    return {
        "author": actors.person("alice", "author"),
        "other": actors.person("erin", "author"),
        "reviewer": actors.person("bob", "reviewer"),
        "security": actors.person("sam", "security"),
    }


def later(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def draft(client, person, text="Un brouillon pour demain", **extra):
    body = {"account": "acme", "text": text, "scheduled_at": later(), "draft": True, **extra}
    answer = client.post("/api/v1/posts", json=body, headers=person.headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def ids(client, person, query=""):
    answer = client.get(f"/api/v1/posts?limit=200{query}", headers=person.headers)
    return [p["id"] for p in answer.get_json()["posts"]]


def test_draft_is_the_authors_alone_until_submitted(client, people):
    author, reviewer = people["author"], people["reviewer"]
    saved = draft(client, author)
    assert saved["status"] == "draft"
    assert "draft" in saved["message"] or "brouillon" in saved["message"]  # caller's language
    assert saved["id"] in ids(client, author, "&status=draft")
    for someone in (reviewer, people["security"], people["other"]):
        assert saved["id"] not in ids(client, someone)
        got = client.get(f"/api/v1/posts/{saved['id']}", headers=someone.headers)
        assert got.status_code == 404
    assert approve_post(client, reviewer, saved["id"], content_hash="0" * 64).status_code == 404

    edited = client.patch(
        f"/api/v1/posts/{saved['id']}", json={"text": "Brouillon revu"}, headers=author.headers
    ).get_json()
    assert edited["status"] == "draft" and edited["revision"] == 2

    sent = client.post(f"/api/v1/posts/{saved['id']}/submit", headers=author.headers)
    assert sent.status_code == 200 and sent.get_json()["status"] == "pending_review"
    assert saved["id"] in ids(client, reviewer, "&status=pending_review")
    again = client.post(f"/api/v1/posts/{saved['id']}/submit", headers=author.headers)
    assert again.status_code == 409 and again.get_json()["field"] == "status"
    assert approve_post(client, reviewer, saved["id"]).get_json()["status"] == "scheduled"


def test_submitting_a_draft_runs_the_rules(client, people):
    saved = draft(client, people["author"], text="Quelle arnaque")
    assert saved["status"] == "draft" and saved["findings"]
    sent = client.post(f"/api/v1/posts/{saved['id']}/submit", headers=people["author"].headers)
    assert sent.get_json()["status"] == "blocked"


def test_only_the_author_submits_a_draft(client, people):
    saved = draft(client, people["author"])
    other = client.post(f"/api/v1/posts/{saved['id']}/submit", headers=people["other"].headers)
    assert other.status_code == 404


def test_compose_with_a_variant_per_network(client, people):
    long_text = "Notre nouvelle collection arrive demain dans toutes nos boutiques. " * 5
    body = {
        "accounts": ["acme", "BIRDY"],
        "text": long_text,
        "variants": {"BIRDY": "Nouvelle collection demain !"},
        "scheduled_at": later(),
    }
    answer = client.post("/api/v1/posts/compose", json=body, headers=people["author"].headers)
    assert answer.status_code == 201, answer.get_json()
    made = {p["account"]: p for p in answer.get_json()["posts"]}
    assert made["acme"]["text"] == long_text and made["acme"]["status"] == "pending_review"
    assert made["birdy"]["text"] == "Nouvelle collection demain !"
    # Without its variant, the X post is checked with X's limit and blocked.
    body["variants"] = None
    plain = client.post("/api/v1/posts/compose", json=body, headers=people["author"].headers)
    by_account = {p["account"]: p for p in plain.get_json()["posts"]}
    assert by_account["birdy"]["status"] == "blocked"
    assert any(f["rule"] == "platform-limits" for f in by_account["birdy"]["findings"])
    assert by_account["acme"]["status"] == "pending_review"


def test_compose_refuses_a_variant_for_an_account_not_chosen(client, people):
    body = {"accounts": ["acme"], "text": "Bonjour", "variants": {"birdy": "Salut"}}
    answer = client.post("/api/v1/posts/compose", json=body, headers=people["author"].headers)
    assert answer.status_code == 422 and answer.get_json()["field"] == "variants"
    assert ids(client, people["author"]) == []


def test_comments_do_not_touch_the_content_or_approvals(client, people):
    author, reviewer = people["author"], people["reviewer"]
    post = client.post(
        "/api/v1/posts",
        json={"account": "acme", "text": "Soldes demain", "scheduled_at": later()},
        headers=author.headers,
    ).get_json()
    asked = client.post(
        f"/api/v1/posts/{post['id']}/comments",
        json={"body": "Peut-on ajouter le lien ?"},
        headers=reviewer.headers,
    )
    assert asked.status_code == 201 and asked.get_json()["author"] == "bob"
    client.post(
        f"/api/v1/posts/{post['id']}/comments", json={"body": "Non."}, headers=author.headers
    )
    approved = approve_post(client, reviewer, post["id"], content_hash=post["content_hash"])
    assert approved.status_code == 200 and approved.get_json()["status"] == "scheduled"
    client.post(
        f"/api/v1/posts/{post['id']}/comments", json={"body": "Merci"}, headers=author.headers
    )
    after = client.get(f"/api/v1/posts/{post['id']}", headers=author.headers).get_json()
    assert after["content_hash"] == post["content_hash"] and len(after["approvals"]) == 1
    notes = client.get(f"/api/v1/posts/{post['id']}/comments", headers=author.headers)
    assert [(c["author"], c["body"]) for c in notes.get_json()["comments"]] == [
        ("bob", "Peut-on ajouter le lien ?"),
        ("alice", "Non."),
        ("alice", "Merci"),
    ]
    audit = client.get("/api/v1/audit", headers=people["security"].headers).get_json()
    assert sum(e["action"] == "post:comment" for e in audit["entries"]) == 3


def test_who_cannot_see_a_post_cannot_comment(client, people):
    post = draft(client, people["author"])
    for someone in (people["other"], people["reviewer"]):
        answer = client.post(
            f"/api/v1/posts/{post['id']}/comments", json={"body": "hé"}, headers=someone.headers
        )
        assert answer.status_code == 404
    empty = client.post(
        f"/api/v1/posts/{post['id']}/comments",
        json={"body": "  "},
        headers=people["author"].headers,
    )
    assert empty.status_code == 422 and empty.get_json()["field"] == "body"


def test_the_author_sees_who_rejected_and_why(client, people):
    author = people["author"]
    post = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Promo !"}, headers=author.headers
    ).get_json()
    assert post["rejection"] is None
    client.post(
        f"/api/v1/posts/{post['id']}/reject",
        json={"reason": "Le prix manque"},
        headers=people["reviewer"].headers,
    )
    seen = client.get(f"/api/v1/posts/{post['id']}", headers=author.headers).get_json()
    assert seen["status"] == "rejected"
    assert seen["rejection"]["reviewer"] == "bob"
    assert seen["rejection"]["reason"] == "Le prix manque"
    notes = client.get(f"/api/v1/posts/{post['id']}/comments", headers=author.headers)
    assert notes.get_json()["comments"][0]["kind"] == "rejection"


def test_previews_cut_at_each_platforms_limit(client, people):
    text = "Bonjour @marie@exemple.social, voyez https://www.exemple.fr/soldes " + "x" * 300
    answer = client.post(
        "/api/v1/previews",
        json={"accounts": ["acme", "birdy"], "text": text},
        headers=people["author"].headers,
    )
    assert answer.status_code == 200, answer.get_json()
    shown = {p["account"]: p for p in answer.get_json()["previews"]}
    assert shown["birdy"]["cut"] and shown["birdy"]["limit"] == 280
    assert shown["birdy"]["shown_text"] + shown["birdy"]["cut_text"] == text
    assert not shown["acme"]["cut"] and shown["acme"]["cut_text"] == ""
    assert shown["acme"]["link"] == {"url": "https://www.exemple.fr/soldes", "domain": "exemple.fr"}
    assert shown["acme"]["mentions"] == ["@marie@exemple.social"]
    post = client.post(
        "/api/v1/posts", json={"account": "birdy", "text": text}, headers=people["author"].headers
    ).get_json()
    one = client.get(f"/api/v1/posts/{post['id']}/preview", headers=people["reviewer"].headers)
    assert one.status_code == 200 and one.get_json()["cut"]


def kinds_of(client, person) -> list[tuple[str, str]]:
    answer = client.get("/api/v1/notifications", headers=person.headers).get_json()
    return [(n["kind"], n["link"]) for n in answer["notifications"]]


def test_a_comment_reaches_the_author_and_earlier_commenters_not_the_writer(client, people):
    author, reviewer = people["author"], people["reviewer"]
    post = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Promo"}, headers=author.headers
    ).get_json()
    link = f"/posts/{post['id']}#comments"
    client.post(
        f"/api/v1/posts/{post['id']}/comments",
        json={"body": "Quel prix ?"},
        headers=reviewer.headers,
    )
    assert ("post.comment", link) in kinds_of(client, author)
    assert ("post.comment", link) not in kinds_of(client, reviewer)
    client.post(
        f"/api/v1/posts/{post['id']}/comments", json={"body": "29 €"}, headers=author.headers
    )
    assert ("post.comment", link) in kinds_of(client, reviewer)
    assert kinds_of(client, author).count(("post.comment", link)) == 1
