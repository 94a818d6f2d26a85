"""The web app checks TOTP codes by its runtime's clock, so a test needing more codes than
one 30-second step holds moves the clock on instead of waiting (``TotpClock``)."""

from __future__ import annotations

import pytest

from postgate import otp

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def test_a_person_logs_in_again_and_again_without_waiting_for_a_step(client, actors) -> None:
    ana = actors.create("ana", "reviewer")
    for _ in range(5):  # three codes fit around one step; the other two move the clock on
        actors.login(ana)
    assert max(ana._used_steps) >= otp.current_step() + 2


def test_the_api_checks_codes_at_the_clock_s_time(client, actors, totp_clock) -> None:
    ana = actors.create("ana", "reviewer")
    totp_clock.advance(4)
    real_now = otp.code_at(ana.secret, otp.current_step())
    body = {"username": "ana", "password": ana.password, "otp": real_now}
    refused = client.post("/api/v1/session", json=body)
    assert refused.status_code == 401 and refused.get_json()["error"] == "login_failed"
    body["otp"] = otp.code_at(ana.secret, totp_clock.step())
    assert client.post("/api/v1/session", json=body).status_code == 201
