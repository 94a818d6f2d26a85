"""Login limits that an outsider cannot turn against the people they name, and one answer
for every failed login.

The attacker here knows user names (the security lead's is easy to guess) but not their
passwords; they guess from one address, or from many.
"""

from __future__ import annotations

from sqlalchemy import select

from gateway import create_app
from postgate import otp
from postgate.runtime import Runtime
from postgate.store.models import AuditEntry

ATTACKER = "203.0.113.66"
LEAD_DESK = "198.51.100.10"


def _login(client, username, password, code, address):
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": password, "otp": code},
        environ_base={"REMOTE_ADDR": address},
    )


def _guess(client, username: str, address: str):
    return _login(client, username, "is it summer2026?", "123456", address)


def test_eleven_wrong_passwords_from_an_attacker_do_not_lock_the_lead_out(client, actors) -> None:
    lead = actors.create("lead", "security")
    assert _login(client, "lead", lead.password, lead.code(), LEAD_DESK).status_code == 201
    for _ in range(11):
        assert _guess(client, "lead", ATTACKER).status_code in (401, 429)
    # From the desk they logged in from before, the lead gets in at once.
    assert _login(client, "lead", lead.password, lead.code(), LEAD_DESK).status_code == 201


def test_the_lead_gets_in_from_a_new_address_too(client, actors) -> None:
    """Slowed, not locked: the lead at home (an address never used) still gets a try."""
    lead = actors.create("lead", "security")
    for _ in range(11):
        _guess(client, "lead", ATTACKER)
    assert _login(client, "lead", lead.password, lead.code(), "192.0.2.77").status_code == 201


def test_the_attacker_address_is_limited_for_that_user(client, actors) -> None:
    actors.create("lead", "security")
    answers = [_guess(client, "lead", ATTACKER).status_code for _ in range(12)]
    assert answers[:10] == [401] * 10
    assert answers[10:] == [429, 429]


def test_guesses_from_many_addresses_are_slowed_down(rt, client, actors) -> None:
    lead = actors.create("lead", "security")
    assert _login(client, "lead", lead.password, lead.code(), LEAD_DESK).status_code == 201
    for n in range(10):
        assert _guess(client, "lead", f"203.0.113.{n}").status_code == 401
    assert _guess(client, "lead", "203.0.113.100").status_code == 401  # the slow lane's try
    slowed = _guess(client, "lead", "203.0.113.101")
    assert slowed.status_code == 429
    assert 0 < int(slowed.headers["Retry-After"]) <= rt.settings.login_slow_seconds
    assert _login(client, "lead", lead.password, lead.code(), LEAD_DESK).status_code == 201
    with rt.store.session() as db:
        limits = [
            e.details["limit"]
            for e in db.scalars(
                select(AuditEntry).where(AuditEntry.action == "access:rate-limited")
            )
        ]
    assert limits == ["login-user-slowed"]


def test_a_right_password_with_a_wrong_code_answers_like_a_wrong_password(client, actors) -> None:
    ana = actors.create("ana", "author")
    wrong_code = otp.code_at(ana.secret, otp.current_step(Runtime.clock()) - 5)
    answers = [
        _login(client, "ana", ana.password, wrong_code, ATTACKER),
        _login(client, "ana", "not the password, no", wrong_code, ATTACKER),
        _login(client, "nobody", "not the password, no", wrong_code, ATTACKER),
        _login(client, "ana", ana.password, "000000", ATTACKER),
    ]
    assert {a.status_code for a in answers} == {401}
    assert all(a.get_json() == answers[0].get_json() for a in answers)
    assert answers[0].get_json()["error"] == "login_failed"


def test_the_login_page_answers_alike_too(web, actors) -> None:
    ana = actors.create("ana", "author")
    wrong_code = otp.code_at(ana.secret, otp.current_step(Runtime.clock()) - 5)
    right_password = web.try_login(ana, code=wrong_code)
    ana_password, ana.password = ana.password, "not the password, no"
    wrong_password = web.try_login(ana, code=wrong_code)
    ana.password = ana_password

    def message(page) -> str:
        return page.get_data(as_text=True).split('role="alert">')[1].split("</p>")[0]

    assert right_password.status_code == wrong_password.status_code == 401
    assert message(right_password) == message(wrong_password)
    assert message(right_password) == "the user name, password or TOTP code is wrong"


def test_a_locked_user_is_told_so_whatever_the_password(client, actors) -> None:
    ana = actors.create("ana", "author")
    wrong_code = otp.code_at(ana.secret, otp.current_step(Runtime.clock()) - 5)
    for _ in range(5):
        _login(client, "ana", ana.password, wrong_code, LEAD_DESK)
    right = _login(client, "ana", ana.password, ana.code(), LEAD_DESK)
    wrong = _login(client, "ana", "not the password, no", ana.code(), LEAD_DESK)
    assert right.status_code == wrong.status_code == 429
    assert right.get_json() == wrong.get_json()


def test_the_limits_hold_across_processes(rt, actors) -> None:
    """Two web processes (two apps) share the counters in Redis."""
    actors.create("lead", "security")
    first = create_app({"TESTING": True}, settings=rt.settings).test_client()
    second = create_app({"TESTING": True}, settings=rt.settings).test_client()
    for n in range(10):
        assert _guess(first if n % 2 else second, "lead", ATTACKER).status_code == 401
    assert _guess(first, "lead", ATTACKER).status_code == 429
    assert _guess(second, "lead", ATTACKER).status_code == 429
