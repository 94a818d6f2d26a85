"""The security lead's console: role checks, CSRF, freeze and lift, takedown with live
progress, incident report, users and revoke, audit log with chain verification, French."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from gateway import create_app
from postgate.services import freezes
from postgate.services.takedown_windows import finish_account
from postgate.store.models import Account, AuditEntry, Takedown, User
from tests.helpers import WebActions, error_next_to, make_account

PAGES = [
    "/security",
    "/security/audit",
    "/security/users",
]
POSTS = [
    "/security/freeze",
    "/security/freeze/lift",
    "/security/takedowns",
    "/security/users/revoke",
]


@pytest.fixture
def strict_web(rt) -> WebActions:
    """Step-up window 0: every sensitive form needs a code."""
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    return WebActions(app.test_client())


@pytest.fixture
def sam(actors, web):
    person = actors.create("sam", "security")
    web.login(person)
    return person


@pytest.mark.parametrize("role", ["author", "reviewer"])
def test_authors_and_reviewers_get_403_on_every_console_page(client, web, actors, role) -> None:
    make_account(actors.rt, "acme")
    person = actors.create("pat", role)
    web.login(person)
    for path in [
        *PAGES,
        "/security/takedowns/1",
        "/security/takedowns/1/progress",
        "/security/takedowns/1/report",
    ]:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert web.submit(path, page="/me").status_code == 403, path


def test_signed_out_visitors_go_to_login(client) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forms_without_csrf_token_are_refused(client, rt, sam) -> None:
    make_account(rt, "acme")
    for path in POSTS:
        assert client.post(path, data={"reason": "x", "otp": "123456"}).status_code == 400
    with rt.store.session() as db:
        assert freezes.active_freezes(db) == []


def test_console_shows_accounts_freeze_and_takedown_forms(client, rt, sam) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    body = client.get("/security").get_data(as_text=True)
    assert "acme" in body and 'action="/security/takedowns"' in body
    assert 'action="/security/freeze"' in body and "console.css" in body
    assert 'name="since"' in body and '<option selected value="Europe/Paris">' in body


def test_freeze_errors_are_shown_next_to_the_field_and_input_is_kept(client, web, rt, sam) -> None:
    make_account(rt, "acme")
    response = web.submit("/security/freeze", {"account": "acme", "reason": " "})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "reason" in error_next_to(body, "reason").lower()
    assert '<option selected value="acme">' in body


def test_freeze_and_lift_from_the_console(client, web, rt, sam) -> None:
    make_account(rt, "acme")
    response = web.submit("/security/freeze", {"account": "acme", "reason": "account hacked"})
    assert response.status_code == 302
    with rt.store.session() as db:
        active = freezes.active_freezes(db)
        assert [f.reason for f in active] == ["account hacked"]
    body = client.get("/security").get_data(as_text=True)
    assert "account hacked" in body and "state-frozen" in body
    response = web.submit("/security/freeze/lift", {"lift-account": "acme"})
    assert response.status_code == 302
    with rt.store.session() as db:
        assert freezes.active_freezes(db) == []


def test_freeze_needs_a_code_when_the_step_up_is_stale(strict_web, actors, rt) -> None:
    make_account(rt, "acme")
    sam = actors.create("sam", "security")
    strict_web.login(sam)
    form = {"account": "", "reason": "stop all"}
    response = strict_web.submit("/security/freeze", form, page="/security")
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert error_next_to(body, "otp")
    assert "stop all</textarea>" in body  # nothing typed is lost
    response = strict_web.submit("/security/freeze", form, page="/security", otp="000000")
    assert response.status_code == 401 and error_next_to(response.get_data(as_text=True), "otp")
    response = strict_web.submit("/security/freeze", form, page="/security", otp=sam.code())
    assert response.status_code == 302
    with rt.store.session() as db:
        assert [f.account_id for f in freezes.active_freezes(db)] == [None]


def test_takedown_form_errors_keep_the_input(client, web, rt, sam) -> None:
    make_account(rt, "acme")
    form = {"since": "2026-01-05T08:30", "clock": "UTC", "otp": ""}
    response = web.submit("/security/takedowns", form, page="/security")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert error_next_to(body, "accounts") and error_next_to(body, "otp")
    assert 'value="2026-01-05T08:30"' in body
    response = web.submit("/security/takedowns", form, page="/security", accounts="acme", otp="12")
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert error_next_to(body, "otp") and 'value="acme" checked' in body.replace(
        'checked id="accounts-0" name="accounts" type="checkbox" value="acme"',
        'value="acme" checked',
    )
    with rt.store.session() as db:
        assert db.query(Takedown).count() == 0


def test_takedown_starts_and_its_progress_is_served_as_json(client, web, rt, sam) -> None:
    make_account(rt, "acme", timezone="Europe/Paris")
    response = web.submit(
        "/security/takedowns",
        {
            "accounts": "acme",
            "since": "2026-01-05T08:30",
            "clock": "Europe/Paris",
            "otp": sam.code(),
        },
        page="/security",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert re.fullmatch(r"/security/takedowns/\d+", location)
    with rt.store.session() as db:
        takedown = db.query(Takedown).one()
        assert takedown.since.isoformat().startswith("2026-01-05T07:30")  # Paris is UTC+1
        assert freezes.is_frozen(db, db.query(Account).one().id)
    page = client.get(location)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="takedown-live"' in body and "console.js" in body and "<progress" in body
    assert '<noscript><meta http-equiv="refresh"' in body
    progress = client.get(location + "/progress").get_json()
    assert progress["status"] == "running"
    assert [a["name"] for a in progress["accounts"]] == ["acme"]
    assert progress["progress"]["accounts"]["acme"]["total"] == 0
    assert "items" not in progress
    report = client.get(location + "/report")
    assert report.status_code == 200 and "takedown:start" in report.get_data(as_text=True)
    markdown = client.get(location + "/report?format=markdown")
    assert markdown.mimetype == "text/markdown"
    assert markdown.get_data(as_text=True).startswith("# Incident report: takedown #")


def test_takedown_ends_other_sessions_but_keeps_the_lead_signed_in(client, web, rt, actors, sam):
    make_account(rt, "acme")
    other = actors.person("ana", "author")
    response = web.submit(
        "/security/takedowns",
        {"every": "y", "since": "2026-01-05T08:30", "clock": "UTC", "otp": sam.code()},
        page="/security",
    )
    assert response.status_code == 302
    assert client.get("/security").status_code == 200
    assert client.get("/api/v1/me", headers=other.headers).status_code == 401


def _start_takedown(web, sam, **extra):
    """The takedown form of the console, for acme since 5 January, with a fresh code."""
    form = {"accounts": "acme", "since": "2026-01-05T08:30", "clock": "UTC", **extra}
    if "otp" not in form:
        form["otp"] = sam.code()
    return web.submit("/security/takedowns", form, page="/security")


def _checked(body: str, name: str, value: str) -> bool:
    return bool(
        re.search(
            rf'<input checked id="{name}-\d+" name="{name}" type="checkbox" '
            rf'value="{re.escape(value)}">',
            body,
        )
    )


def test_takedown_form_offers_the_users_whose_sessions_to_end(client, rt, actors, sam) -> None:
    make_account(rt, "acme")
    actors.create("ana", "author")
    actors.create("gone", "author")
    with rt.store.transaction() as db:
        db.query(User).filter_by(username="gone").one().disabled = True
    body = client.get("/security").get_data(as_text=True)
    fieldset = re.search(r'<fieldset class="field checkboxes" id="users".*?</fieldset>', body, re.S)
    assert fieldset, "no users field on the takedown form"
    html = fieldset.group(0)
    assert "<legend>Sessions to end</legend>" in html and 'id="users-help"' in html
    for i, name in enumerate(["ana", "sam"]):
        assert f'id="users-{i}" name="users" type="checkbox" value="{name}"' in html
        assert f'<label for="users-{i}">{name}</label>' in html
    assert "gone" not in html  # a revoked user cannot sign in any more


def test_takedown_from_the_console_ends_only_the_chosen_users_sessions(
    client, web, rt, actors, sam
) -> None:
    make_account(rt, "acme")
    ana, bob = actors.person("ana", "author"), actors.person("bob", "author")
    response = _start_takedown(web, sam, users="ana")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401
    assert client.get("/api/v1/me", headers=bob.headers).status_code == 200
    assert client.get("/security").status_code == 200
    with rt.store.session() as db:
        entry = db.query(AuditEntry).filter_by(action="token:revoke").one()
        assert entry.details["users"] == ["ana"] and entry.actor == "sam"


def test_takedown_form_errors_keep_the_chosen_users(client, web, rt, actors, sam) -> None:
    make_account(rt, "acme")
    ana = actors.person("ana", "author")
    response = _start_takedown(web, sam, users="ana", otp="12")
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert error_next_to(body, "otp") and _checked(body, "users", "ana")
    response = _start_takedown(web, sam, users=["ana", "nobody"], otp="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert error_next_to(body, "users") and _checked(body, "users", "ana")
    assert _checked(body, "accounts", "acme") and 'value="2026-01-05T08:30"' in body
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 200
    with rt.store.session() as db:
        assert db.query(Takedown).count() == 0


def test_pressing_again_from_the_console_ends_new_sessions_and_widens(
    client, web, rt, actors
) -> None:
    """Another lead's takedown runs (from the API); sam and bob sign in after it; sam
    presses the button again with an earlier time: it joins, ends bob's session (and sue's,
    not sam's) and widens the window."""
    make_account(rt, "acme")
    make_account(rt, "beta")
    sue = actors.person("sue", "security")
    first = client.post(
        "/api/v1/takedowns",
        json={"accounts": ["acme", "beta"], "since": "2026-01-05T08:30:00Z"},
        headers=sue.headers,
    )
    assert first.status_code == 202
    sam = actors.create("sam", "security")
    web.login(sam)
    bob = actors.person("bob", "author")
    again = _start_takedown(web, sam, since="2026-01-04T08:30")
    assert again.status_code == 302
    assert again.headers["Location"] == f"/security/takedowns/{first.get_json()['id']}"
    assert client.get("/api/v1/me", headers=bob.headers).status_code == 401
    assert client.get("/api/v1/me", headers=sue.headers).status_code == 401  # not the caller
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "this joins that takedown" in page and "earlier posts of acme" in page
    windows = re.search(r'<ul class="windows".*?</ul>', page, re.S)
    assert windows, "the page does not show that the accounts' windows differ"
    assert re.search(r"acme: posts since <time datetime=\"2026-01-04T08:30", windows.group(0))
    assert re.search(r"beta: posts since <time datetime=\"2026-01-05T08:30", windows.group(0))
    with rt.store.session() as db:
        assert db.query(Takedown).one().since.isoformat().startswith("2026-01-04T08:30")
    progress = client.get(again.headers["Location"] + "/progress").get_json()
    assert progress["windows"]["acme"].startswith("2026-01-04T08:30")
    assert progress["windows"]["beta"].startswith("2026-01-05T08:30")
    assert progress["since"].startswith("2026-01-04T08:30")


def test_widening_an_account_already_revoked_says_to_delete_by_hand(
    client, web, rt, actors
) -> None:
    """The running takedown revoked acme's credentials already (its account row says so):
    the earlier window can no longer be listed, and the lead is told at once."""
    make_account(rt, "acme")
    sue = actors.person("sue", "security")
    first = client.post(
        "/api/v1/takedowns",
        json={"accounts": ["acme"], "since": "2026-01-05T08:30:00Z"},
        headers=sue.headers,
    ).get_json()
    with rt.store.transaction() as db:
        account = db.query(Account).one()
        takedown = db.get(Takedown, first["id"])
        since = datetime.fromisoformat("2026-01-05T08:30:00+00:00")
        finish_account(db, takedown, account.id, since, revoked=True, reason="")
    sam = actors.create("sam", "security")
    web.login(sam)
    again = _start_takedown(web, sam, since="2026-01-04T08:30")
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "credentials of acme were revoked already" in page


def test_unknown_takedown_is_404(client, sam) -> None:
    assert client.get("/security/takedowns/999").status_code == 404
    assert client.get("/security/takedowns/999/progress").status_code == 404


def test_audit_log_filters_and_shows_the_chain_status(client, web, rt, sam) -> None:
    make_account(rt, "acme")
    web.submit("/security/freeze", {"account": "acme", "reason": "account hacked"})
    body = client.get("/security/audit").get_data(as_text=True)
    assert "state-ok" in body and "freeze:set" in body and "session:login" in body
    body = client.get("/security/audit?action=freeze").get_data(as_text=True)
    assert "freeze:set" in body and "<code>session:login</code>" not in body
    body = client.get("/security/audit?actor=nobody").get_data(as_text=True)
    assert "No entry matches" in body
    with rt.store.transaction() as db:
        entry = db.query(AuditEntry).filter(AuditEntry.action == "freeze:set").one()
        entry.details = {"reason": "nothing happened"}
    body = client.get("/security/audit").get_data(as_text=True)
    assert "state-frozen" in body and f"Chain broken at entry {entry.seq}" in body


def test_audit_log_pages_back_in_time(client, web, rt, sam) -> None:
    body = client.get("/security/audit").get_data(as_text=True)
    assert "Older entries" not in body
    for _ in range(30):
        web.submit("/security/freeze", {"reason": "x"})
        web.submit("/security/freeze/lift", {"lift-account": ""})
    body = client.get("/security/audit").get_data(as_text=True)
    older = re.search(r'href="(/security/audit\?before=\d+)"', body)
    assert older
    assert client.get(older.group(1).replace("&amp;", "&")).status_code == 200


def test_security_lead_revokes_a_user(client, web, rt, actors, sam) -> None:
    ana = actors.person("ana", "author")
    body = client.get("/security/users").get_data(as_text=True)
    assert "ana" in body and 'action="/security/users/revoke"' in body
    assert 'action="/security/users/new"' not in body  # admins only
    response = web.submit("/security/users/revoke", {"revoke-username": "ana"})
    assert response.status_code == 302
    with rt.store.session() as db:
        assert db.query(User).filter_by(username="ana").one().disabled
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401


def test_revoking_oneself_is_refused(client, web, rt, actors, sam) -> None:
    actors.create("ana", "author")
    response = web.submit("/security/users/revoke", {"revoke-username": "sam"})
    assert response.status_code == 422  # only others are offered (the service refuses too)
    assert error_next_to(response.get_data(as_text=True), "revoke-username")
    with rt.store.session() as db:
        assert not db.query(User).filter_by(username="sam").one().disabled


def test_console_speaks_french(client, web, rt, actors) -> None:
    make_account(rt, "acme")
    sam = actors.create("sam", "security")
    web.login(sam, lang="fr")
    body = client.get("/security").get_data(as_text=True)
    assert "Console de crise" in body and "Geler la publication" in body
    body = client.get("/security/audit").get_data(as_text=True)
    assert "Journal d\u2019audit" in body
