"""Takedowns from the console: the form and its errors, live progress as JSON, whose sessions
end, and a second press that widens."""

from __future__ import annotations

import re
from datetime import datetime

from postgate.services import freezes
from postgate.services.takedown_windows import finish_account
from postgate.store.models import Account, AuditEntry, Takedown, User
from tests.gateway.console.support import checked, submit_takedown
from tests.helpers import error_next_to, make_account


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
    response = submit_takedown(web, sam, users="ana")
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
    response = submit_takedown(web, sam, users="ana", otp="12")
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert error_next_to(body, "otp") and checked(body, "users", "ana")
    response = submit_takedown(web, sam, users=["ana", "nobody"], otp="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert error_next_to(body, "users") and checked(body, "users", "ana")
    assert checked(body, "accounts", "acme") and 'value="2026-01-05T08:30"' in body
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
    again = submit_takedown(web, sam, since="2026-01-04T08:30")
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
    again = submit_takedown(web, sam, since="2026-01-04T08:30")
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "credentials of acme were revoked already" in page


def test_unknown_takedown_is_404(client, sam) -> None:
    assert client.get("/security/takedowns/999").status_code == 404
    assert client.get("/security/takedowns/999/progress").status_code == 404
