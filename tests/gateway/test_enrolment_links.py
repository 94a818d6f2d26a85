"""No admin ever sees another person's password or TOTP secret (DESIGN.md invariant 2).

The attack: an admin creates a "reviewer" (or resets someone's password or 2FA), reads its
password and TOTP secret from the answer, signs in as it and approves their own post. Before
enrolment links, ``POST /users``, the 2FA reset and the users page handed both over.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import update

from postgate import otp, passwords
from postgate.store.models import EnrolmentLink, User
from postgate.store.types import utcnow
from tests.helpers import PASSWORD, WebActions

CHOSEN = "Lighthouse keeper moss 7 orbit"


def _invite(client, admin, username="rex", roles=("reviewer",)) -> dict:
    made = client.post(
        "/api/v1/users", json={"username": username, "roles": list(roles)}, headers=admin.headers
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _login(client, username, password, code):
    return client.post(
        "/api/v1/session", json={"username": username, "password": password, "otp": code}
    )


def test_creating_a_user_shows_the_admin_no_password_nor_secret(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    made = _invite(client, adm)
    text = json.dumps(made)
    assert "password" not in made and "totp_secret" not in made and "otpauth" not in text
    with rt.store.session() as db:
        rex = db.query(User).filter_by(username="rex").one()
        assert rex.totp_secret_enc is None and not rex.totp_confirmed
    # Whatever the admin tries, they cannot sign in as rex: no password of rex's exists yet.
    for guess in (PASSWORD, made["enrolment"]["token"], ""):
        assert _login(client, "rex", guess or "x", "000000").status_code == 401


def test_the_person_enrols_through_the_api_and_the_link_works_once(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    token = _invite(client, adm)["enrolment"]["token"]
    shown = client.get(f"/api/v1/enrol/{token}").get_json()
    assert shown["username"] == "rex" and shown["purpose"] == "new" and not shown["chosen"]
    weak = client.post(f"/api/v1/enrol/{token}", json={"password": "password1234"})
    assert weak.status_code == 422 and weak.get_json()["field"] == "password"
    early = client.post(f"/api/v1/enrol/{token}/confirm", json={"otp": "123456"})
    assert early.status_code == 409  # nothing chosen yet
    chosen = client.post(f"/api/v1/enrol/{token}", json={"password": CHOSEN})
    assert chosen.status_code == 200, chosen.get_json()
    secret = chosen.get_json()["totp_secret"]
    assert chosen.get_json()["otpauth_uri"].startswith("otpauth://totp/")
    wrong = client.post(f"/api/v1/enrol/{token}/confirm", json={"otp": "000000"})
    assert wrong.status_code == 401
    assert _login(client, "rex", CHOSEN, otp.code_at(secret, otp.current_step())).status_code == 401
    step = otp.current_step()
    done = client.post(f"/api/v1/enrol/{token}/confirm", json={"otp": otp.code_at(secret, step)})
    assert done.status_code == 200, done.get_json()
    assert len(done.get_json()["recovery_codes"]) == 10
    assert _login(client, "rex", CHOSEN, otp.code_at(secret, step + 1)).status_code == 201
    again = client.post(f"/api/v1/enrol/{token}", json={"password": CHOSEN})
    assert again.status_code == 404 and again.get_json()["field"] == "token"
    assert client.get(f"/api/v1/enrol/{token}").status_code == 404


def test_links_are_stored_hashed_and_expire(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    token = _invite(client, adm)["enrolment"]["token"]
    with rt.store.transaction() as db:
        (link,) = db.query(EnrolmentLink).all()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps([link.token_hash, link.purpose, link.created_by])
        assert timedelta(hours=71) < link.expires_at - utcnow() <= timedelta(hours=72)
        db.execute(update(EnrolmentLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(f"/api/v1/enrol/{token}").status_code == 404
    assert client.post(f"/api/v1/enrol/{token}", json={"password": CHOSEN}).status_code == 404


def test_a_2fa_reset_shows_no_secret_and_the_link_needs_the_persons_password(
    rt, client, actors
) -> None:
    adm, ana = actors.person("adm", "admin"), actors.person("ana", "reviewer")
    reset = client.post("/api/v1/users/ana/totp/reset", json={}, headers=adm.headers)
    assert reset.status_code == 200 and "totp_secret" not in reset.get_json()
    token = reset.get_json()["token"]
    assert reset.get_json()["purpose"] == "totp"
    old = _login(client, "ana", ana.password, otp.code_at(ana.secret, otp.current_step() + 1))
    assert old.status_code == 401  # the old authenticator stopped working
    # The admin holding the link does not know ana's password: no secret for them.
    for guess in ("Admin guesses passphrase 1", "another wrong guess 22"):
        refused = client.post(f"/api/v1/enrol/{token}", json={"password": guess})
        assert refused.status_code == 401 and "totp_secret" not in refused.get_json()
    chosen = client.post(f"/api/v1/enrol/{token}", json={"password": ana.password})
    secret = chosen.get_json()["totp_secret"]
    step = otp.current_step()
    done = client.post(f"/api/v1/enrol/{token}/confirm", json={"otp": otp.code_at(secret, step)})
    assert done.status_code == 200, done.get_json()
    assert _login(client, "ana", ana.password, otp.code_at(secret, step + 1)).status_code == 201


def test_wrong_current_passwords_use_a_2fa_link_up(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    actors.person("ana", "reviewer")
    token = client.post("/api/v1/users/ana/totp/reset", json={}, headers=adm.headers).get_json()
    for _ in range(5):
        client.post(f"/api/v1/enrol/{token['token']}", json={"password": "not her password 99"})
    gone = client.post(f"/api/v1/enrol/{token['token']}", json={"password": PASSWORD})
    assert gone.status_code == 404


def test_a_password_reset_link_needs_the_persons_authenticator(rt, client, actors) -> None:
    adm, ana = actors.person("adm", "admin"), actors.person("ana", "reviewer")
    reset = client.post("/api/v1/users/ana/password/reset", json={}, headers=adm.headers)
    assert reset.status_code == 200 and reset.get_json()["purpose"] == "password"
    assert "password" not in {k for k in reset.get_json() if k != "purpose"}
    token = reset.get_json()["token"]
    assert _login(client, "ana", ana.password, "000000").status_code == 401
    chosen = client.post(f"/api/v1/enrol/{token}", json={"password": CHOSEN})
    assert chosen.status_code == 200 and "totp_secret" not in chosen.get_json()
    # The admin sets a password of their choosing, but cannot confirm without ana's app.
    refused = client.post(f"/api/v1/enrol/{token}/confirm", json={"otp": "000000"})
    assert refused.status_code == 401
    with rt.store.session() as db:
        link = db.query(EnrolmentLink).one()
        assert link.used_at is None
    done = client.post(f"/api/v1/enrol/{token}/confirm", json={"otp": ana.code()})
    assert done.status_code == 200 and done.get_json()["recovery_codes"] == []
    with rt.store.session() as db:
        hashed = db.query(User).filter_by(username="ana").one().password_hash
    assert passwords.verify_password(hashed, CHOSEN)


def test_a_second_reset_joins_the_first_link(rt, client, actors) -> None:
    adm = actors.person("adm", "admin")
    actors.person("ana", "reviewer")
    first = client.post("/api/v1/users/ana/password/reset", json={}, headers=adm.headers)
    second = client.post("/api/v1/users/ana/totp/reset", json={}, headers=adm.headers)
    assert second.get_json()["purpose"] == "new"  # she lost both: she sets both
    assert client.get(f"/api/v1/enrol/{first.get_json()['token']}").status_code == 404


def test_the_web_pages_hand_over_a_link_and_the_person_enrols_on_the_page(
    rt, client, web, actors
) -> None:
    web.login(actors.create("ada", "admin"))
    made = web.submit(
        "/security/users/new",
        {"new-username": "rex", "new-roles": ["reviewer"]},
        page="/security/users",
    )
    page = made.get_data(as_text=True)
    assert made.status_code == 201 and "<svg" not in page and "Authenticator secret" not in page
    url = page.split('class="secret enrolment-link">')[1].split("<")[0]
    path = url.split("localhost", 1)[1]
    person = WebActions(client.application.test_client())
    person.client.set_cookie("postgate_lang", "en")
    opened = person.client.get(path)
    assert opened.status_code == 200 and "Set up your access, rex" in opened.get_data(as_text=True)
    differ = person.submit(path, password=CHOSEN, repeat=CHOSEN + "x")
    assert differ.status_code == 422
    chosen = person.submit(path, password=CHOSEN, repeat=CHOSEN)
    body = chosen.get_data(as_text=True)
    assert chosen.status_code == 200 and "<svg" in body
    secret = body.split('<code class="secret">')[1].split("<")[0].strip()
    done = person.submit(f"{path}/confirm", page=path, otp=otp.code_at(secret, otp.current_step()))
    assert done.status_code == 200 and "Your access is set up" in done.get_data(as_text=True)
    assert person.client.get(path).status_code == 404
    later = otp.code_at(secret, otp.current_step() + 1)
    assert _login(client, "rex", CHOSEN, later).status_code == 201
