"""The Mastodon API subset, through Flask's test client."""

from __future__ import annotations

import re

import pytest

CREATE = "/api/v1/statuses"


def create(client, headers, text="Hello", **extra):
    return client.post(CREATE, data={"status": text, **extra}, headers=headers)


def test_create_answers_a_mastodon_status(client, auth):
    headers = auth("acme")
    answer = create(client, headers, "Tom & <Jerry>\nsecond line")
    assert answer.status_code == 200
    status = answer.json
    assert status["content"] == "<p>Tom &amp; &lt;Jerry&gt;<br />second line</p>"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["created_at"])
    assert status["url"] == f"http://sandbox.test/@acme/{status['id']}"
    assert status["uri"] == f"http://sandbox.test/users/acme/statuses/{status['id']}"
    assert status["visibility"] == "public"
    assert status["account"]["acct"] == "acme"
    assert status["account"]["url"] == "http://sandbox.test/@acme"
    assert status["media_attachments"] == [] and status["mentions"] == [] and status["tags"] == []
    assert "text" not in status


def test_ids_are_increasing_strings(client, auth):
    headers = auth("acme")
    ids = [create(client, headers, f"post {n}").json["id"] for n in range(5)]
    assert all(isinstance(i, str) for i in ids)
    assert [int(i) for i in ids] == sorted({int(i) for i in ids})


def test_json_body_and_visibility(client, auth):
    body = {"status": "json post", "visibility": "unlisted"}
    answer = client.post(CREATE, json=body, headers=auth("acme"))
    assert answer.status_code == 200
    assert answer.json["visibility"] == "unlisted"
    assert answer.json["content"] == "<p>json post</p>"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "   "}, "Validation failed: Text can't be blank"),
        ({}, "Validation failed: Text can't be blank"),
        ({"status": "x" * 501}, "Validation failed: Text character limit of 500 exceeded"),
        ({"status": "hi", "visibility": "everyone"}, "Validation failed: Visibility"),
    ],
)
def test_create_validation_is_422(client, auth, body, message):
    answer = client.post(CREATE, data=body, headers=auth("acme"))
    assert answer.status_code == 422
    assert answer.json["error"].startswith(message)


def test_exactly_500_characters_is_accepted(client, auth):
    assert create(client, auth("acme"), "x" * 500).status_code == 200


def test_malformed_json_is_400_not_500(client, auth):
    headers = {**auth("acme"), "Content-Type": "application/json"}
    answer = client.post(CREATE, data="{nope", headers=headers)
    assert answer.status_code == 400
    assert client.post(CREATE, json={"status": 5}, headers=auth("acme")).status_code == 400


def test_idempotency_key_returns_the_same_status(client, auth):
    headers = {**auth("acme"), "Idempotency-Key": "publish-42"}
    first = create(client, headers, "once")
    second = create(client, headers, "once")
    assert first.json["id"] == second.json["id"]
    other = create(client, {**headers, "Idempotency-Key": "publish-43"}, "once")
    assert other.json["id"] != first.json["id"]
    listed = client.get("/sandbox/accounts/acme/statuses").json
    assert len(listed) == 2


def test_idempotency_key_is_per_account(client, auth):
    first = create(client, {**auth("acme"), "Idempotency-Key": "k"}, "a")
    second = create(client, {**auth("other"), "Idempotency-Key": "k"}, "b")
    assert first.json["id"] != second.json["id"]
    assert second.json["account"]["acct"] == "other"


def test_get_and_delete(client, auth):
    headers = auth("acme")
    status_id = create(client, headers, "bye\nnow").json["id"]
    assert client.get(f"{CREATE}/{status_id}").json["id"] == status_id
    deleted = client.delete(f"{CREATE}/{status_id}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.json["text"] == "bye\nnow"
    assert deleted.json["id"] == status_id
    gone = {"error": "Record not found"}
    assert client.get(f"{CREATE}/{status_id}").json == gone
    again = client.delete(f"{CREATE}/{status_id}", headers=headers)
    assert (again.status_code, again.json) == (404, gone)
    assert client.get(f"{CREATE}/not-a-number").status_code == 404


def test_delete_someone_elses_status_is_403(client, auth):
    status_id = create(client, auth("acme"), "mine").json["id"]
    answer = client.delete(f"{CREATE}/{status_id}", headers=auth("intruder"))
    assert (answer.status_code, answer.json) == (403, {"error": "This action is not allowed"})
    assert client.get(f"{CREATE}/{status_id}").status_code == 200


def test_tokens_missing_unknown_and_revoked(client, auth):
    invalid = {"error": "The access token is invalid"}
    assert client.post(CREATE, data={"status": "x"}).json == invalid
    bad = client.post(CREATE, data={"status": "x"}, headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json) == (401, invalid)
    issued = client.post("/sandbox/accounts/acme/tokens").json
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    token = issued["access_token"]
    pair = {"client_id": issued["client_id"], "client_secret": issued["client_secret"]}
    revoke = client.post("/oauth/revoke", data={"token": token, **pair})
    assert (revoke.status_code, revoke.json) == (200, {})
    answer = client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert (answer.status_code, answer.json) == (401, {"error": "The access token was revoked"})
    assert create(client, headers).status_code == 401
    assert create(client, auth("acme")).status_code == 200  # a new token still works


def test_revoke_without_token_is_400(client):
    assert client.post("/oauth/revoke", data={"client_id": "a"}).status_code == 400


def test_verify_credentials(client, auth):
    headers = auth("acme")
    create(client, headers)
    account = client.get("/api/v1/accounts/verify_credentials", headers=headers).json
    assert account["username"] == "acme"
    assert account["statuses_count"] == 1
    assert account["id"] == client.get("/sandbox/accounts/acme").json["id"]
    assert account["source"]["privacy"] == "public"


def test_account_lookup_and_by_id(client, auth):
    auth("acme")
    account = client.get("/api/v1/accounts/lookup?acct=acme").json
    assert client.get(f"/api/v1/accounts/{account['id']}").json["acct"] == "acme"
    assert client.get("/api/v1/accounts/lookup?acct=nobody").status_code == 404
    assert client.get("/api/v1/accounts/999999").status_code == 404


def post_many(client, headers, count):
    return [create(client, headers, f"n{n}").json["id"] for n in range(count)]


def test_account_statuses_pagination(client, auth):
    headers = auth("acme")
    ids = post_many(client, headers, 5)
    account_id = client.get("/sandbox/accounts/acme").json["id"]
    url = f"/api/v1/accounts/{account_id}/statuses"
    page = client.get(f"{url}?limit=2", headers=headers)
    assert [s["id"] for s in page.json] == [ids[4], ids[3]]
    link = page.headers["Link"]
    base = f"http://sandbox.test{url}"
    assert f'<{base}?limit=2&max_id={ids[3]}>; rel="next"' in link
    assert f'<{base}?limit=2&min_id={ids[4]}>; rel="prev"' in link
    older = client.get(f"{url}?limit=2&max_id={ids[3]}").json
    assert [s["id"] for s in older] == [ids[2], ids[1]]
    newer = client.get(f"{url}?limit=2&min_id={ids[0]}").json
    assert [s["id"] for s in newer] == [ids[2], ids[1]]
    since = client.get(f"{url}?limit=2&since_id={ids[0]}").json
    assert [s["id"] for s in since] == [ids[4], ids[3]]
    assert client.get(f"{url}?max_id={ids[0]}").headers.get("Link") is None


def test_account_statuses_limits_and_deleted(client, auth):
    headers = auth("acme")
    ids = post_many(client, headers, 45)
    client.delete(f"{CREATE}/{ids[-1]}", headers=headers)
    account_id = client.get("/sandbox/accounts/acme").json["id"]
    url = f"/api/v1/accounts/{account_id}/statuses"
    assert len(client.get(url).json) == 20
    everything = client.get(f"{url}?limit=100").json
    assert len(everything) == 40
    assert everything[0]["id"] == ids[-2]
    assert client.get(f"{url}?max_id=abc").status_code == 400
    assert client.get("/api/v1/accounts/424242/statuses").status_code == 404


def test_private_statuses_only_for_the_owner(client, auth):
    headers = auth("acme")
    status_id = create(client, headers, "secret", visibility="private").json["id"]
    account_id = client.get("/sandbox/accounts/acme").json["id"]
    url = f"/api/v1/accounts/{account_id}/statuses"
    assert client.get(url).json == []
    assert [s["id"] for s in client.get(url, headers=headers).json] == [status_id]
    assert client.get(f"{CREATE}/{status_id}").status_code == 404
    assert client.get(f"{CREATE}/{status_id}", headers=headers).status_code == 200


def test_unknown_routes_answer_json(client):
    answer = client.get("/api/v1/nothing")
    assert answer.status_code == 404 and answer.json == {"error": "Record not found"}
    assert client.put("/api/v1/statuses").json == {"error": "Method Not Allowed"}


@pytest.mark.parametrize("junk", ["99999999999999999999999", "\u00b2", "-1", "1e3"])
def test_junk_ids_never_500(client, auth, junk):
    headers = auth("acme")
    account_id = client.get("/sandbox/accounts/acme").json["id"]
    assert client.get(f"{CREATE}/{junk}").status_code == 404
    assert client.delete(f"{CREATE}/{junk}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/accounts/{junk}/statuses").status_code == 404
    url = f"/api/v1/accounts/{account_id}/statuses"
    assert client.get(f"{url}?max_id={junk}").status_code == 400
    assert client.get(f"{url}?limit={junk}").status_code == 200
