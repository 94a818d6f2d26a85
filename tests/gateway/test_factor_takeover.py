"""A session stolen after its login (a cookie lifted from a laptop, a leaked bearer token)
must not become the second factor itself, nor a token that outlives it.

Each test attacks the way the thief would: with the session only, inside the step-up window
its login opened, and no access to the victim's authenticator app.
"""

from __future__ import annotations

from sqlalchemy import select

from postgate import otp
from postgate.runtime import Runtime
from postgate.services import recovery_codes
from postgate.store.models import AuditEntry, User


def _next_code(secret: str) -> str:
    return otp.code_at(secret, otp.current_step(Runtime.clock()) + 1)


def _recovery_codes(rt, username: str) -> list[str]:
    """Codes for second logins: a person has only two unused TOTP steps at any moment."""
    with rt.store.transaction() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
        return recovery_codes.replace_recovery_codes(db, user_id)


def _login_with(client, person, code: str) -> str:
    response = client.post(
        "/api/v1/session",
        json={"username": person.username, "password": person.password, "otp": code},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_a_stolen_session_cannot_start_replacing_the_totp_secret(client, actors) -> None:
    """Inside the window the login opened, the thief asks for a new secret without a code."""
    ana = actors.person("ana", "author")
    started = client.post("/api/v1/me/totp", json={}, headers=ana.headers)
    assert started.status_code == 401
    assert started.get_json()["error"] == "otp_required"


def test_replacing_the_totp_secret_with_a_current_code_ends_every_other_session(
    rt, client, actors
) -> None:
    ana = actors.person("ana", "author")
    thief_token = ana.token
    bob = actors.person("bob", "author")  # someone else's session: must survive
    spare = _recovery_codes(rt, "ana")
    ana.token = _login_with(client, ana, spare[0])  # the victim's own, the one they act from
    started = client.post("/api/v1/me/totp", json={"otp": spare[1]}, headers=ana.headers)
    assert started.status_code == 201
    new_secret = started.get_json()["secret"]
    done = client.post(
        "/api/v1/me/totp/confirm", json={"otp": _next_code(new_secret)}, headers=ana.headers
    )
    assert done.status_code == 200
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 200
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {thief_token}"}).status_code
        == 401
    )
    assert client.get("/api/v1/me", headers=bob.headers).status_code == 200
    with rt.store.session() as db:
        entry = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user:totp-enroll")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None and entry.details["stage"] == "confirmed"
    assert entry.details["tokens_ended"] == 1


def test_a_recovery_code_may_start_the_replacement(rt, client, actors) -> None:
    ana = actors.person("ana", "author")
    with rt.store.transaction() as db:
        user_id = db.scalar(select(User.id).where(User.username == "ana"))
        codes = recovery_codes.replace_recovery_codes(db, user_id)
    started = client.post("/api/v1/me/totp", json={"otp": codes[0]}, headers=ana.headers)
    assert started.status_code == 201
    again = client.post("/api/v1/me/totp", json={"otp": codes[0]}, headers=ana.headers)
    assert again.status_code == 401


def test_another_session_cannot_see_or_confirm_a_pending_replacement(rt, client, actors) -> None:
    """The victim starts a replacement; the thief's session must not confirm it (nor read
    its secret back from the pages)."""
    ana = actors.person("ana", "author")
    victim_token = ana.token
    stolen = _login_with(client, ana, _recovery_codes(rt, "ana")[0])
    started = client.post(
        "/api/v1/me/totp",
        json={"otp": ana.code()},
        headers={"Authorization": f"Bearer {victim_token}"},
    )
    new_secret = started.get_json()["secret"]
    hijack = client.post(
        "/api/v1/me/totp/confirm",
        json={"otp": _next_code(new_secret)},
        headers={"Authorization": f"Bearer {stolen}"},
    )
    assert hijack.status_code == 409


def test_minting_an_api_token_needs_a_code_in_the_request(client, actors) -> None:
    """Right after login the window is open; a token must still need a code typed now."""
    ana = actors.person("ana", "author")
    minted = client.post("/api/v1/tokens", json={"name": "exfil"}, headers=ana.headers)
    assert minted.status_code == 401
    assert minted.get_json()["error"] == "otp_required"
    fine = client.post(
        "/api/v1/tokens", json={"name": "ci", "otp": ana.code()}, headers=ana.headers
    )
    assert fine.status_code == 201


def test_web_token_and_replacement_need_a_code_typed_now(client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    minted = web.submit("/me/tokens", page="/me", name="exfil", otp="")
    assert minted.status_code == 422
    assert "pg_" not in minted.get_data(as_text=True)
    started = web.submit("/me/2fa/start", page="/me/2fa", otp="")
    assert started.status_code == 422
    assert 'class="secret"' not in started.get_data(as_text=True)
    started = web.submit("/me/2fa/start", page="/me/2fa", otp=ana.code())
    assert started.status_code == 200 and 'class="secret"' in started.get_data(as_text=True)


def test_web_confirmation_ends_the_other_sessions(rt, client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    elsewhere = web.another()
    spare = _recovery_codes(rt, "ana")
    assert elsewhere.try_login(ana, code=spare[0]).status_code == 302
    started = web.submit("/me/2fa/start", page="/me/2fa", otp=spare[1])
    secret = otp_secret_from(started.get_data(as_text=True))
    # The other browser cannot confirm the secret it never saw.
    assert (
        elsewhere.submit("/me/2fa/confirm", page="/me/2fa", otp=_next_code(secret)).status_code
        == 302
    )
    done = web.submit("/me/2fa/confirm", page="/me/2fa", otp=_next_code(secret))
    assert done.status_code == 200
    assert web.client.get("/me").status_code == 200
    assert elsewhere.client.get("/me").status_code == 302


def otp_secret_from(page: str) -> str:
    import re

    match = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert match, "no secret on the page"
    return match.group(1)
