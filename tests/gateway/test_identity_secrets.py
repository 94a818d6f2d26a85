"""No password, TOTP secret, token or recovery code leaks after the moment it is shown."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy import select

from postgate import otp
from postgate.services import keys
from postgate.services.recovery_codes import replace_recovery_codes
from postgate.store.models import AuditEntry, AuthToken, EnrolmentLink, RecoveryCode, User

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def test_secrets_never_appear_in_later_answers_logs_or_audit(
    rt, app, client, actors, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: set[str] = set()
    later: list[str] = []  # every answer but the one that shows a secret first

    def call(method, path, *, shows=(), **kwargs):
        response = client.open(path, method=method, **kwargs)
        text = response.get_data(as_text=True)
        body = response.get_json(silent=True) or {}
        found = {str(body[k]) for k in shows if body.get(k)}
        for key in shows:
            if isinstance(body.get(key), list):
                found.discard(str(body[key]))
                found.update(body[key])
        secrets.update(found)
        if not shows:
            later.append(text)
        return response

    adm = actors.create("adm", "admin")
    secrets.update({adm.password, adm.secret})
    login = call(
        "POST",
        "/api/v1/session",
        shows=("token",),
        json={"username": "adm", "password": adm.password, "otp": adm.code()},
    )
    adm.token = login.get_json()["token"]
    h = adm.headers
    created = call(
        "POST",
        "/api/v1/users",
        shows=("enrolment",),
        json={"username": "nina", "roles": ["author"]},
        headers=h,
    )
    link = created.get_json()["enrolment"]["token"]
    secrets.add(link)
    call("GET", f"/api/v1/enrol/{link}")
    call(
        "POST",
        f"/api/v1/enrol/{link}",
        json={"password": "password1234"},  # refused by the policy, and never echoed
    )
    secrets.add("password1234")
    nina_password = "Lighthouse keeper moss 7 orbit"
    secrets.add(nina_password)
    chosen = call(
        "POST", f"/api/v1/enrol/{link}", shows=("totp_secret",), json={"password": nina_password}
    )
    call(
        "POST",
        f"/api/v1/enrol/{link}/confirm",
        shows=("recovery_codes",),
        json={"otp": otp.code_at(chosen.get_json()["totp_secret"], otp.current_step())},
    )
    with rt.store.transaction() as db:
        adm_id = db.scalar(select(User.id).where(User.username == "adm"))
        spare = replace_recovery_codes(db, adm_id)  # codes typed now, without a TOTP step
    secrets.update(spare)
    call(
        "POST", "/api/v1/tokens", shows=("token",), json={"name": "ci", "otp": spare[0]}, headers=h
    )
    started = call("POST", "/api/v1/me/totp", shows=("secret",), json={"otp": spare[1]}, headers=h)
    new_secret = started.get_json()["secret"]
    call(
        "POST",
        "/api/v1/me/totp/confirm",
        shows=("recovery_codes",),
        json={"otp": otp.code_at(new_secret, otp.current_step() + 1)},
        headers=h,
    )
    call("POST", "/api/v1/me/recovery-codes", shows=("recovery_codes",), json={}, headers=h)
    call("POST", "/api/v1/users/nina/totp/reset", shows=("token",), json={}, headers=h)
    call("POST", "/api/v1/users/nina/password/reset", shows=("token",), json={}, headers=h)
    keys.rotate(rt, actor="test")
    # Answers that must show nothing secret, including refusals that echo input.
    call("GET", "/api/v1/me", headers=h)
    call("GET", "/api/v1/users", headers=h)
    call("GET", "/api/v1/tokens", headers=h)
    call(
        "POST",
        "/api/v1/session",
        json={"username": "nina", "password": nina_password, "otp": "000000"},
    )
    call(
        "POST",
        "/api/v1/session",
        json={"username": "adm", "password": adm.password + "x", "otp": "000000"},
    )
    call("DELETE", "/api/v1/session", headers=h)

    assert len(secrets) > 20
    with rt.store.session() as db:
        audit = [
            json.dumps([e.actor, e.target, e.details, e.result])
            for e in db.scalars(select(AuditEntry))
        ]
        stored = [
            *db.scalars(select(User.password_hash)),
            *db.scalars(select(User.totp_secret_enc).where(User.totp_secret_enc.is_not(None))),
            *db.scalars(select(AuthToken.token_hash)),
            *db.scalars(select(EnrolmentLink.token_hash)),
            *db.scalars(select(RecoveryCode.code_hash)),
        ]
    logs = [record.getMessage() + str(record.args) for record in caplog.records]
    for secret in secrets:
        assert len(secret) >= 12, secret
        needle = re.escape(secret)
        for where, texts in (("answer", later), ("log", logs), ("audit", audit), ("store", stored)):
            leaks = [t for t in texts if re.search(needle, t)]
            assert not leaks, f"a secret shows in a later {where}"
