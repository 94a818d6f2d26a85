"""Visibility as Mastodon lists it to the owner, and edits with their history.

The attacks: a followers-only or direct post that a takedown's listing would not see, and a
Postgate post rewritten on the platform after it was published.
"""

from __future__ import annotations

import re

STATUSES = "/api/v1/statuses"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def post(client, headers, text, visibility="public"):
    answer = client.post(STATUSES, data={"status": text, "visibility": visibility}, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def listing(client, account_id, headers=None):
    answer = client.get(f"/api/v1/accounts/{account_id}/statuses", headers=headers or {})
    assert answer.status_code == 200
    return [s["visibility"] for s in answer.json]


def test_owner_lists_every_visibility_others_only_public_ones(client, auth):
    owner = auth("acme")
    for visibility in ("public", "unlisted", "private", "direct"):
        post(client, owner, f"a {visibility} post", visibility)
    account_id = client.get("/sandbox/accounts/acme").json["id"]
    assert listing(client, account_id, owner) == ["direct", "private", "unlisted", "public"]
    assert listing(client, account_id) == ["unlisted", "public"]
    assert listing(client, account_id, auth("stranger")) == ["unlisted", "public"]


def test_a_server_that_hides_non_public_posts_from_their_owner(client, auth):
    owner = auth("acme")
    post(client, owner, "hidden", "private")
    post(client, owner, "shown")
    assert client.put("/sandbox/realism", json={"owner_sees_all": False}).status_code == 200
    account_id = client.get("/sandbox/accounts/acme").json["id"]
    assert listing(client, account_id, owner) == ["public"]


def test_attacker_posts_followers_only_and_direct_through_the_control_endpoint(client):
    for visibility in ("private", "direct"):
        answer = client.post(
            "/sandbox/accounts/acme/statuses", json={"text": "hidden", "visibility": visibility}
        )
        assert answer.status_code == 201 and answer.json["visibility"] == visibility
    live = client.get("/sandbox/accounts/acme/statuses").json
    assert [s["visibility"] for s in live] == ["direct", "private"]
    bad = client.post("/sandbox/accounts/acme/statuses", json={"text": "x", "visibility": "all"})
    assert bad.status_code == 422


def test_edit_keeps_id_and_created_at_and_sets_edited_at(client, auth):
    owner = auth("acme")
    first = post(client, owner, "Our spring sale starts Monday")
    assert first["edited_at"] is None
    edited = client.put(
        f"{STATUSES}/{first['id']}", data={"status": "Send BTC here"}, headers=owner
    )
    assert edited.status_code == 200
    body = edited.json
    assert (body["id"], body["created_at"], body["url"]) == (
        first["id"],
        first["created_at"],
        first["url"],
    )
    assert ISO.fullmatch(body["edited_at"]) and body["edited_at"] >= body["created_at"]
    assert body["content"] == "<p>Send BTC here</p>"
    shown = client.get(f"{STATUSES}/{first['id']}").json
    assert shown["edited_at"] == body["edited_at"] and shown["content"] == body["content"]
    live = client.get("/sandbox/accounts/acme/statuses").json[0]
    assert (live["text"], live["edited_at"]) == ("Send BTC here", body["edited_at"])


def test_history_lists_every_version_oldest_first(client, auth):
    owner = auth("acme")
    status = post(client, owner, "v1")
    assert [v["content"] for v in client.get(f"{STATUSES}/{status['id']}/history").json] == [
        "<p>v1</p>"
    ]
    for text in ("v2", "v3"):
        client.put(f"{STATUSES}/{status['id']}", json={"status": text}, headers=owner)
    versions = client.get(f"{STATUSES}/{status['id']}/history").json
    assert [v["content"] for v in versions] == ["<p>v1</p>", "<p>v2</p>", "<p>v3</p>"]
    assert versions[0]["created_at"] == status["created_at"]
    assert versions[0]["account"]["acct"] == "acme"


def test_nobody_edits_another_accounts_status_nor_a_deleted_one(client, auth):
    owner = auth("acme")
    status = post(client, owner, "mine")
    other = client.put(f"{STATUSES}/{status['id']}", data={"status": "x"}, headers=auth("evil"))
    assert (other.status_code, other.json) == (404, {"error": "Record not found"})
    assert client.put(f"{STATUSES}/{status['id']}", data={"status": "x"}).status_code == 401
    blank = client.put(f"{STATUSES}/{status['id']}", data={"status": "  "}, headers=owner)
    assert blank.status_code == 422
    client.delete(f"{STATUSES}/{status['id']}", headers=owner)
    gone = client.put(f"{STATUSES}/{status['id']}", data={"status": "x"}, headers=owner)
    assert gone.status_code == 404
    assert client.get(f"{STATUSES}/{status['id']}/history").status_code == 404


def test_private_history_is_the_owners_only(client, auth):
    owner = auth("acme")
    status = post(client, owner, "secret", "private")
    assert client.get(f"{STATUSES}/{status['id']}/history").status_code == 404
    assert client.get(f"{STATUSES}/{status['id']}/history", headers=owner).status_code == 200


def test_a_server_without_edits(client, auth):
    owner = auth("acme")
    status = post(client, owner, "v1")
    client.put("/sandbox/realism", json={"edits": False})
    edit = client.put(f"{STATUSES}/{status['id']}", data={"status": "v2"}, headers=owner)
    assert edit.status_code == 404
    assert client.get(f"{STATUSES}/{status['id']}/history").status_code == 404
    assert client.get(f"{STATUSES}/{status['id']}").json["content"] == "<p>v1</p>"


def test_attacker_edit_through_the_control_endpoint(client, auth):
    status = post(client, auth("acme"), "approved text")
    answer = client.put(f"/sandbox/accounts/acme/statuses/{status['id']}", json={"text": "scam"})
    assert answer.status_code == 200 and answer.json["edited_at"]
    assert client.put("/sandbox/accounts/acme/statuses/1", json={"text": "x"}).status_code == 404
    assert client.put("/sandbox/accounts/nobody/statuses/1", json={"text": "x"}).status_code == 404


def test_realism_settings_validate(client):
    assert client.get("/sandbox/realism").json == {
        "owner_sees_all": True,
        "edits": True,
        "revoke_requires_client": True,
        "deletion_limit": "30/1800",
    }
    for bad in ({"edits": "yes"}, {"deletion_limit": "lots"}, {"colour": 1}, {"deletion_limit": 3}):
        answer = client.put("/sandbox/realism", json=bad)
        assert answer.status_code == 422, bad
    assert (
        client.put("/sandbox/realism", json={"deletion_limit": None}).json["deletion_limit"] is None
    )
