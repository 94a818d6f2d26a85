"""The sandbox's user stream (server-sent events, as Mastodon's streaming server) and
profiles (``update_credentials`` / ``verify_credentials``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from sandbox import client as sandbox_client
from tests.helpers import wait_until


class Reader:
    """A user stream read line by line in a thread."""

    def __init__(self, url: str, token: str, via_query: bool = False) -> None:
        self.lines: list[str] = []
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.ended = threading.Event()
        target = f"{url}/api/v1/streaming/user"
        params = {"access_token": token} if via_query else {}
        headers = {} if via_query else {"Authorization": f"Bearer {token}"}
        self.thread = threading.Thread(target=self._read, args=(target, params, headers))
        self.thread.start()

    def _read(self, url: str, params: dict[str, str], headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url, params=params, headers=headers, timeout=10) as r:
                self.status, self.headers = r.status_code, dict(r.headers)
                for line in r.iter_lines():
                    self.lines.append(line)
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()

    def events(self) -> list[tuple[str, str]]:
        found, event = [], ""
        for line in self.lines:
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                found.append((event, line[len("data: ") :]))
        return found


@pytest.fixture
def token(live_url: str) -> Iterator[str]:
    sandbox_client.set_streaming(live_url, heartbeat_seconds=0.1)
    yield sandbox_client.issue_token(live_url, "acme")["access_token"]
    sandbox_client.drop_streams(live_url)


def test_the_user_stream_speaks_mastodons_server_sent_events(live_url, token):
    reader = Reader(live_url, token)
    wait_until(lambda: ":thump" in reader.lines, 5, "a heartbeat")
    assert reader.lines[0] == ":)"
    assert reader.status == 200 and reader.headers["content-type"].startswith("text/event-stream")
    assert reader.headers["cache-control"] == "no-store"
    made = sandbox_client.post_direct(live_url, "acme", "Hello @team@other.example #Tag", "direct")
    sandbox_client.edit_direct(live_url, "acme", made["id"], "Edited")
    httpx.delete(
        f"{live_url}/api/v1/statuses/{made['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    sandbox_client.post_direct(live_url, "someone-else", "not acme's")
    wait_until(lambda: len(reader.events()) >= 3, 5, "three events")
    (created, update), (edited, changed), (deleted, gone) = reader.events()[:3]
    assert (created, edited, deleted) == ("update", "status.update", "delete")
    status = json.loads(update)
    assert status["id"] == made["id"] and status["visibility"] == "direct"
    assert (
        status["account"]["acct"] == "acme"
        and status["mentions"][0]["acct"] == "team@other.example"
    )
    assert json.loads(changed)["edited_at"] is not None
    assert gone == made["id"]  # a bare id, not JSON
    assert len(reader.events()) == 3  # another account's post is not in acme's stream


def test_a_token_in_the_query_works_and_a_bad_one_is_refused(live_url, token):
    reader = Reader(live_url, token, via_query=True)
    wait_until(lambda: ":)" in reader.lines, 5, "the stream to open")
    missing = httpx.get(f"{live_url}/api/v1/streaming/user")
    assert (missing.status_code, missing.json()) == (401, {"error": "Missing access token"})
    bad = httpx.get(f"{live_url}/api/v1/streaming/user", params={"access_token": "nope"})
    assert (bad.status_code, bad.json()) == (401, {"error": "Invalid access token"})
    assert httpx.get(f"{live_url}/api/v1/streaming/health").text == "OK"


def test_dropping_ends_every_stream_and_a_disabled_stream_refuses(live_url, token):
    readers = [Reader(live_url, token), Reader(live_url, token)]
    wait_until(lambda: sandbox_client.set_streaming(live_url)["connections"] == 2, 5, "2 streams")
    sandbox_client.set_streaming(live_url, enabled=False)
    assert sandbox_client.drop_streams(live_url) == 2
    for reader in readers:
        assert reader.ended.wait(5)
    refused = httpx.get(
        f"{live_url}/api/v1/streaming/user", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 503
    sandbox_client.post_direct(live_url, "acme", "missed: there is no replay")
    assert sandbox_client.set_streaming(live_url, enabled=True)["enabled"] is True
    late = Reader(live_url, token)
    wait_until(lambda: ":thump" in late.lines, 5, "the reopened stream")
    assert late.events() == []


@pytest.mark.parametrize(
    "body",
    [{"enabled": "yes"}, {"heartbeat_seconds": 0}, {"heartbeat_seconds": True}, {"nope": 1}],
)
def test_bad_streaming_settings_are_refused_by_name(client, body):
    answer = client.put("/sandbox/streaming", json=body)
    assert answer.status_code == 422
    assert next(iter(body)) in answer.json["error"]


def test_update_credentials_changes_what_verify_credentials_shows(client, auth):
    headers = auth("acme")
    before = client.get("/api/v1/accounts/verify_credentials", headers=headers).json
    assert (before["display_name"], before["note"], before["fields"]) == ("acme", "", [])
    assert before["avatar"].endswith("/avatars/original/missing.png")
    answer = client.patch(
        "/api/v1/accounts/update_credentials",
        headers=headers,
        data={
            "display_name": "Acme <3",
            "note": "Official account\n\nSince 1999",
            "fields_attributes[0][name]": "Web",
            "fields_attributes[0][value]": "https://acme.example",
            "avatar": (__import__("io").BytesIO(b"\x89PNG avatar"), "a.png"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.json
    after = client.get("/api/v1/accounts/verify_credentials", headers=headers).json
    assert after["display_name"] == "Acme <3"
    assert after["note"] == "<p>Official account</p><p>Since 1999</p>"
    assert after["source"]["note"] == "Official account\n\nSince 1999"
    assert after["source"]["fields"] == [
        {"name": "Web", "value": "https://acme.example", "verified_at": None}
    ]
    assert (
        "/system/accounts/avatars/" in after["avatar"] and after["avatar"] == answer.json["avatar"]
    )
    assert after["header"].endswith("missing.png")
    public = client.get(f"/api/v1/accounts/{after['id']}").json
    assert public["display_name"] == "Acme <3" and "source" not in public
    # only what is given changes
    client.patch("/api/v1/accounts/update_credentials", headers=headers, json={"note": ""})
    again = client.get("/api/v1/accounts/verify_credentials", headers=headers).json
    assert (again["display_name"], again["note"]) == ("Acme <3", "")


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": "x" * 31},
        {"note": 5},
        {"fields_attributes": "nope"},
        {"fields_attributes": [{"name": str(n), "value": "v"} for n in range(5)]},
    ],
)
def test_bad_profile_updates_are_refused(client, auth, body):
    answer = client.patch("/api/v1/accounts/update_credentials", headers=auth("acme"), json=body)
    assert answer.status_code in (400, 422), answer.json
    assert "error" in answer.json


def test_update_credentials_needs_the_token(client):
    assert (
        client.patch("/api/v1/accounts/update_credentials", json={"note": "x"}).status_code == 401
    )


def test_revoking_a_token_ends_its_streams_as_mastodon_does(live_url, token):
    """Mastodon publishes ``kill`` on ``timeline:access_token:<id>`` when a token is revoked
    (``AccessTokenExtension#push_to_streaming_api``) and its streaming server ends the
    response: a stream does not outlive its token. Another token's stream carries on."""
    ending = sandbox_client.issue_token(live_url, "acme")  # with its app's credentials
    other = sandbox_client.issue_token(live_url, "acme")["access_token"]
    doomed = ending["access_token"]  # ``token`` (the fixture) sets quick heartbeats
    revoked, kept = Reader(live_url, doomed), Reader(live_url, other)
    for reader in (revoked, kept):
        wait_until(lambda r=reader: ":thump" in r.lines, 5, "a heartbeat")
    asked = {k: ending[k] for k in ("client_id", "client_secret")} | {"token": doomed}
    httpx.post(f"{live_url}/oauth/revoke", data=asked).raise_for_status()
    assert revoked.ended.wait(5), "the revoked token's stream is still open"
    assert not kept.ended.is_set()
    made = sandbox_client.post_direct(live_url, "acme", "after the revocation")
    wait_until(lambda: any(made["id"] in data for _, data in kept.events()), 5, "the event")
    again = Reader(live_url, doomed)
    assert again.ended.wait(5) and again.status == 401


def test_the_stream_needs_the_read_scope_as_mastodons_does(live_url, token):
    """``checkScopes`` in Mastodon's streaming server: ``read`` or ``read:statuses``, else 401
    (not the REST API's 403), so a 401 from the stream alone does not mean a revoked token."""
    write_only = sandbox_client.issue_token(live_url, "acme", scopes="write")["access_token"]
    refused = Reader(live_url, write_only)
    assert refused.ended.wait(5) and refused.status == 401
    assert json.loads(refused.lines[0]) == {
        "error": "Access token does not have the required scopes"
    }
    narrow = sandbox_client.issue_token(live_url, "acme", scopes="read:statuses write")
    allowed = Reader(live_url, narrow["access_token"])
    wait_until(lambda: ":thump" in allowed.lines, 5, "a heartbeat")
    assert allowed.status == 200 and token
