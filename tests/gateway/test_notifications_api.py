"""The notification API: each person's list and unread count, their language, e-mail and
channels (URLs accepted once, never shown, stored encrypted), and the organisation's
channels for admins only, with 2FA."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import make_account


def test_the_list_counts_unread_and_marks_read_in_the_readers_language(rt, client, actors):
    make_account(rt, "acme")
    alice = actors.person("alice", "author")
    bob = actors.person("bob", "reviewer")
    made = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "hello"}, headers=alice.headers
    )
    post_id = made.get_json()["id"]
    client.post(f"/api/v1/posts/{post_id}/reject", json={"reason": "typo"}, headers=bob.headers)

    listed = client.get("/api/v1/notifications", headers=bob.headers).get_json()
    assert listed["unread"] == 1
    assert listed["notifications"][0]["link"] == f"/review/{post_id}"
    mine = client.get("/api/v1/notifications", headers=alice.headers).get_json()
    assert mine["notifications"][0]["title"] == f"Publication n°\u00a0{post_id} refusée"
    assert "typo" in mine["notifications"][0]["body"]

    changed = client.patch(
        "/api/v1/me/notifications", json={"language": "en"}, headers=alice.headers
    )
    assert changed.status_code == 200 and changed.get_json()["language"] == "en"
    mine = client.get("/api/v1/notifications", headers=alice.headers).get_json()
    assert mine["notifications"][0]["title"] == f"Post #{post_id} rejected"

    marked = client.post("/api/v1/notifications/read", json={}, headers=alice.headers)
    assert marked.get_json() == {"marked": 1, "unread": 0}
    unread = client.get("/api/v1/notifications?unread=1", headers=alice.headers).get_json()
    assert unread == {"notifications": [], "unread": 0, "next": None}
    assert client.get("/api/v1/notifications", headers=bob.headers).get_json()["unread"] == 1


def test_bad_preferences_and_channels_are_refused_by_field(rt, client, actors):
    alice = actors.person("alice", "author")
    for body, field in (
        ({"language": "de"}, "language"),
        ({"email": "not an address"}, "email"),
        ({"email": "a@b.c?to=x@y.z"}, "email"),
    ):
        answer = client.patch("/api/v1/me/notifications", json=body, headers=alice.headers)
        assert (answer.status_code, answer.get_json()["field"]) == (422, field), body
    for url in ("nothing", "nosuchscheme://x", "json://10.0.0.5/hook", "json://localhost:8080/"):
        answer = client.post(
            "/api/v1/me/notifications/channels",
            json={"name": "mine", "url": url},
            headers=alice.headers,
        )
        assert (answer.status_code, answer.get_json()["field"]) == (422, "url"), url


def test_a_channel_url_is_stored_encrypted_and_never_shown_again(rt, client, actors):
    from postgate.store.models import NotifyChannel

    alice = actors.person("alice", "author")
    url = "slack://TokenA1234/TokenB5678/TokenC9012345678901234/#alerts"
    added = client.post(
        "/api/v1/me/notifications/channels",
        json={"name": "my slack", "url": url},
        headers=alice.headers,
    )
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["kind"] == "slack" and url not in added.get_data(as_text=True)
    shown = client.get("/api/v1/me/notifications", headers=alice.headers)
    assert shown.get_json()["channels"][0]["name"] == "my slack"
    assert "Token" not in shown.get_data(as_text=True)
    with rt.store.session() as db:
        row = db.scalars(select(NotifyChannel)).one()
        assert "Token" not in row.url_enc and rt.vault.decrypt(row.url_enc) == url
    audit = client.get("/api/v1/notifications", headers=alice.headers)
    assert audit.status_code == 200
    bob = actors.person("bob", "author")
    theirs = client.delete(f"/api/v1/me/notifications/channels/{row.id}", headers=bob.headers)
    assert theirs.status_code == 404, "someone else's channel is not found"
    gone = client.delete(f"/api/v1/me/notifications/channels/{row.id}", headers=alice.headers)
    assert gone.status_code == 204


def test_organisation_channels_are_for_admins_with_a_fresh_code(rt, client, actors):
    alice = actors.person("alice", "author")
    ada = actors.person("ada", "admin")
    body = {"name": "SOC", "url": "mmosts://chat.example.org/abcdefghij", "audiences": ["security"]}
    assert (
        client.post("/api/v1/notifications/channels", json=body, headers=alice.headers).status_code
        == 403
    )
    assert client.get("/api/v1/notifications/channels", headers=alice.headers).status_code == 403
    added = client.post(
        "/api/v1/notifications/channels", json={**body, "otp": ada.code()}, headers=ada.headers
    )
    assert added.status_code == 201, added.get_json()
    bad = client.post(
        "/api/v1/notifications/channels",
        json={**body, "audiences": ["everyone"], "otp": ada.code()},
        headers=ada.headers,
    )
    assert (bad.status_code, bad.get_json()["field"]) == (422, "audiences")
    listed = client.get("/api/v1/notifications/channels", headers=ada.headers).get_json()
    assert [(c["name"], c["kind"], c["audiences"]) for c in listed["channels"]] == [
        ("SOC", "mmosts", ["security"])
    ]
    channel_id = listed["channels"][0]["id"]
    removed = client.post(
        f"/api/v1/notifications/channels/{channel_id}/remove",
        json={"otp": ada.code()},
        headers=ada.headers,
    )
    assert removed.status_code == 204


def test_the_header_shows_the_unread_count(rt, client, actors, web):
    from postgate.audit import Event

    ada = actors.create("ada", "admin")
    sec = actors.create("sec", "security")
    with rt.store.transaction() as db:
        rt.audit(db, Event.USER_ROLES, actor="ada", target="user:x", details={"after": ["author"]})
    web.login(sec)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-unread="1"' in page, page
    assert "Roles of x changed" in page
    web.submit("/notifications/read", page="/notifications")
    assert "data-unread" not in client.get("/notifications").get_data(as_text=True)
    assert ada.username == "ada"


def test_key_rotation_reencrypts_channels_and_addresses(rt, client, actors):
    from postgate.services import keys
    from postgate.store.models import NotifyChannel, NotifyPreference

    alice = actors.person("alice", "author")
    url = "mmosts://chat.example.org/abcdefghijklmnop"
    client.post(
        "/api/v1/me/notifications/channels", json={"name": "mm", "url": url}, headers=alice.headers
    )
    client.patch(
        "/api/v1/me/notifications", json={"email": "alice@example.org"}, headers=alice.headers
    )
    with rt.store.session() as db:
        before = db.scalars(select(NotifyChannel.url_enc)).one()
    keys.rotate(rt)
    with rt.store.session() as db:
        channel = db.scalars(select(NotifyChannel)).one()
        pref = db.scalars(select(NotifyPreference)).one()
        assert channel.url_enc != before
        newest = rt.vault  # reloaded: the new key first
        assert newest.decrypt(channel.url_enc) == url
        assert newest.decrypt(pref.email_enc or "") == "alice@example.org"
