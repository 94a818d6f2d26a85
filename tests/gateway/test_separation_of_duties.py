"""No single person can publish alone (DESIGN.md invariant 2).

The attack: one admin gives themself the author role, makes a "reviewer", takes it over and
approves their own post. Enrolment links keep the reviewer's credentials from the admin;
here: nobody changes their own roles, a second admin must confirm grants and resets when
there is one, and with a lone admin the new reviewer cools off before approving.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway import create_app
from postgate import otp
from postgate.store.models import AuditEntry, Post, User
from tests.helpers import approve_post, make_account

CHOSEN = "Lighthouse keeper moss 7 orbit"


def _actions(rt) -> list[str]:
    with rt.store.session() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _roles(rt, username: str) -> str:
    with rt.store.session() as db:
        return db.scalar(select(User.roles).where(User.username == username)) or ""


def _take_over(client, token: str):
    """What a lone admin does with the link of the reviewer they made: enrol it themself."""
    chosen = client.post(f"/api/v1/enrol/{token}", json={"password": CHOSEN}).get_json()
    step = otp.current_step()
    done = client.post(
        f"/api/v1/enrol/{token}/confirm", json={"otp": otp.code_at(chosen["totp_secret"], step)}
    )
    assert done.status_code == 200, done.get_json()
    return chosen["totp_secret"], step


def test_nobody_changes_their_own_roles(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    refused = client.put(
        "/api/v1/users/adm/roles", json={"roles": ["admin", "author"]}, headers=adm.headers
    )
    assert refused.status_code == 403 and refused.get_json()["field"] == "username"
    assert _roles(rt, "adm") == "admin"
    assert "access:forbidden" in _actions(rt)


def test_nobody_resets_their_own_credentials_through_the_admin_form(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    for what in ("password", "totp"):
        refused = client.post(f"/api/v1/users/adm/{what}/reset", json={}, headers=adm.headers)
        assert refused.status_code == 403


def test_a_lone_admin_cannot_approve_through_a_reviewer_they_made(rt, client, actors) -> None:
    make_account(rt, "acme")
    adm = actors.person("adm", "admin", "author")  # made on the server: an author already
    made = client.post(
        "/api/v1/users", json={"username": "rex", "roles": ["reviewer"]}, headers=adm.headers
    ).get_json()
    assert made["roles"] == ["reviewer"] and made["approve_after"]
    secret, step = _take_over(client, made["enrolment"]["token"])
    rex = client.post(
        "/api/v1/session",
        json={"username": "rex", "password": CHOSEN, "otp": otp.code_at(secret, step + 1)},
    ).get_json()["token"]
    rex_headers = {"Authorization": f"Bearer {rex}"}
    post = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Tout à 1 €"}, headers=adm.headers
    ).get_json()
    shown = client.get(f"/api/v1/posts/{post['id']}", headers=rex_headers).get_json()
    refused = client.post(
        f"/api/v1/posts/{post['id']}/approve",
        json={"content_hash": shown["content_hash"]},
        headers=rex_headers,
    )
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["field"] == "reviewer"
    assert "you may approve posts from" in refused.get_json()["message"]
    me = client.get("/api/v1/me", headers=rex_headers).get_json()
    assert datetime.fromisoformat(me["approve_after"]) > datetime.now(UTC) + timedelta(hours=23)
    with rt.store.session() as db:
        assert db.get(Post, post["id"]).status == "pending_review"
    assert "user:cooling-off" in _actions(rt)
    bob = actors.person("bob", "reviewer")  # made on the server (postgate users add)
    assert approve_post(client, bob, post["id"]).get_json()["status"] == "scheduled"


def test_the_cooling_off_period_is_a_setting(rt, client, actors) -> None:
    make_account(rt, "acme")
    quick = create_app({"TESTING": True}, settings=rt.settings.with_overrides(cooling_off_hours=0))
    other = quick.test_client()
    adm = actors.person("adm", "admin", "author")
    made = other.post(
        "/api/v1/users", json={"username": "rex", "roles": ["reviewer"]}, headers=adm.headers
    ).get_json()
    assert made["approve_after"] is None


def test_a_lone_admins_reset_cools_the_reviewer_off(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    actors.person("rue", "reviewer")
    reset = client.post("/api/v1/users/rue/password/reset", json={}, headers=adm.headers)
    assert reset.status_code == 200
    with rt.store.session() as db:
        assert db.scalar(select(User.approve_after).where(User.username == "rue")) is not None


def test_with_two_admins_a_grant_waits_for_the_other_one(rt, client, web, actors) -> None:
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    sam = actors.person("sam", "security")
    actors.person("rex", "author")
    asked = client.put(
        "/api/v1/users/rex/roles", json={"roles": ["author", "reviewer"]}, headers=ada.headers
    )
    assert asked.status_code == 202, asked.get_json()
    change = asked.get_json()
    assert change["kind"] == "roles" and change["requested_by"] == "ada"
    assert _roles(rt, "rex") == "author"  # nothing yet
    for who in (ada, bea, sam):  # both admins and the security lead see it
        listed = client.get("/api/v1/users/changes", headers=who.headers).get_json()
        assert [c["id"] for c in listed["changes"]] == [change["id"]]
    lead = web.another()
    lead.login(sam)
    console = lead.client.get("/security").get_data(as_text=True)
    assert 'id="access-changes"' in console and "rex" in console
    own = client.post(f"/api/v1/users/changes/{change['id']}/confirm", json={}, headers=ada.headers)
    assert own.status_code == 403
    assert (
        client.post(
            f"/api/v1/users/changes/{change['id']}/confirm", json={}, headers=sam.headers
        ).status_code
        == 403
    )  # the security lead sees, an admin confirms
    done = client.post(
        f"/api/v1/users/changes/{change['id']}/confirm", json={}, headers=bea.headers
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["user"]["roles"] == ["author", "reviewer"]
    assert done.get_json()["user"]["approve_after"] is None  # a second admin confirmed
    assert _roles(rt, "rex") == "author reviewer"
    again = client.post(
        f"/api/v1/users/changes/{change['id']}/confirm", json={}, headers=bea.headers
    )
    assert again.status_code == 409
    actions = _actions(rt)
    assert "user:change-requested" in actions and "user:change-confirmed" in actions


def test_the_confirming_admin_needs_a_fresh_code(rt, client, actors) -> None:
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    actors.person("rue", "reviewer")
    change = client.post("/api/v1/users/rue/totp/reset", json={}, headers=ada.headers)
    assert change.status_code == 202
    strict = create_app(
        {"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0)
    ).test_client()
    url = f"/api/v1/users/changes/{change.get_json()['id']}/confirm"
    assert strict.post(url, json={}, headers=bea.headers).status_code == 401
    done = strict.post(url, json={"otp": bea.code()}, headers=bea.headers)
    assert done.status_code == 200 and done.get_json()["enrolment"]["purpose"] == "totp"


def test_with_two_admins_a_new_reviewer_starts_without_power(rt, client, actors) -> None:
    ada, bea = actors.person("ada", "admin"), actors.person("bea", "admin")
    made = client.post(
        "/api/v1/users", json={"username": "rex", "roles": ["reviewer"]}, headers=ada.headers
    )
    assert made.status_code == 201
    assert made.get_json()["roles"] == [] and made.get_json()["pending"]["roles"] == ["reviewer"]
    cancelled = client.post(
        f"/api/v1/users/changes/{made.get_json()['pending']['id']}/cancel",
        json={},
        headers=bea.headers,
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["outcome"] == "cancelled"
    assert _roles(rt, "rex") == ""


def test_pending_changes_on_the_users_page(rt, client, web, actors) -> None:
    ada, bea = actors.create("ada", "admin"), actors.create("bea", "admin")
    actors.create("rex", "author")
    web.login(ada)
    asked = web.submit(
        "/security/users/roles",
        {"roles-username": "rex", "roles-roles": ["author", "reviewer"]},
        page="/security/users",
    )
    assert asked.status_code == 302
    page = client.get("/security/users").get_data(as_text=True)
    assert 'id="pending-changes"' in page and "/security/users/changes/1/confirm" not in page
    second = web.another()
    second.login(bea)
    page = second.client.get("/security/users").get_data(as_text=True)
    assert "/security/users/changes/1/confirm" in page
    done = second.submit("/security/users/changes/1/confirm", page="/security/users")
    assert done.status_code == 302
    assert _roles(rt, "rex") == "author reviewer"
    sam = actors.create("sam", "security")
    lead = web.another()
    lead.login(sam)
    client_page = lead.client.get("/security/users").get_data(as_text=True)
    assert 'id="pending-changes"' not in client_page  # nothing left waiting


def test_the_cooling_off_shows_on_the_persons_page(rt, client, web, actors) -> None:
    adm = actors.person("adm", "admin")
    rue = actors.create("rue", "reviewer")
    assert client.post("/api/v1/users/rue/totp/reset", json={}, headers=adm.headers).is_json
    with rt.store.transaction() as db:  # rue enrols again (as the link would let her)
        user = db.scalar(select(User).where(User.username == "rue"))
        user.totp_secret_enc = rt.vault.encrypt(rue.secret)
    make_account(rt, "acme")
    ana = actors.person("ana", "author")
    post = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Bonjour"}, headers=ana.headers
    ).get_json()
    web.login(rue)
    page = client.get("/me").get_data(as_text=True)
    assert 'id="cooling-off"' in page and "you may approve posts from" in page
    refused = web.approve(post["id"])
    assert refused.status_code == 403
    assert "you may approve posts from" in refused.get_data(as_text=True)
    with rt.store.session() as db:
        assert db.get(Post, post["id"]).status == "pending_review"
