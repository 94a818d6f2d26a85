"""Freeze and lift from the console: errors next to their field, a code when the step-up
is stale."""

from __future__ import annotations

from postgate.services import freezes
from tests.helpers import error_next_to, make_account


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
