"""The web login, profile and 2FA pages: CSRF, cookies, headers and server-side checks."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway import create_app
from gateway.access import roles_required
from postgate.store.models import AuditEntry
from tests.helpers import WebActions

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


def test_login_form_without_csrf_token_is_refused(client, actors) -> None:
    ana = actors.create("ana", "author")
    response = client.post(
        "/login", data={"username": "ana", "password": ana.password, "otp": ana.code()}
    )
    assert response.status_code == 400
    assert client.get("/me").status_code == 302  # not signed in


def test_other_forms_without_csrf_token_are_refused(client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    assert client.post("/logout").status_code == 400
    assert client.post("/me/tokens/1/revoke").status_code == 400
    assert client.post("/me/2fa/start", data={}).status_code == 400
    assert client.get("/me").status_code == 200  # still signed in


def test_login_sets_a_protected_cookie_and_shows_the_profile(client, web, actors) -> None:
    ana = actors.create("ana", "author")
    response = web.login(ana)
    assert response.headers["Location"] == "/posts"  # an author lands on their posts
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/me")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "ana" in body and "web session" in body
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert header in page.headers
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in page.headers


def test_https_makes_cookies_secure_and_sends_hsts(rt, actors) -> None:
    client = create_app(
        {"TESTING": True}, settings=rt.settings.with_overrides(https=True)
    ).test_client()
    ana = actors.create("ana", "author")
    response = WebActions(client).login(ana)
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age=" in client.get("/login").headers["Strict-Transport-Security"]


def test_wrong_code_on_the_form_is_refused_with_a_message(client, web, actors) -> None:
    ana = actors.create("ana", "author")
    response = web.try_login(ana, code="000000")
    assert response.status_code == 401
    assert "password or TOTP code is wrong" in response.get_data(as_text=True)
    assert ana.password not in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_web_login_is_rate_limited_with_a_message(rt, actors) -> None:
    web = WebActions(
        create_app(
            {"TESTING": True}, settings=rt.settings.with_overrides(login_limit_per_user=2)
        ).test_client()
    )
    ana = actors.create("ana", "author")
    ana.password = "a wrong password, surely"
    for _ in range(2):
        assert web.try_login(ana, code="123456").status_code == 401
    limited = web.try_login(ana, code="123456")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert "too many login attempts" in limited.get_data(as_text=True)


def test_pages_need_a_signed_in_user(client) -> None:
    for path in ("/me", "/me/2fa"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_next_never_leaves_the_site(web, actors) -> None:
    ana = actors.create("ana", "author")
    response = web.try_login(ana, next="//evil.example/x")
    assert response.headers["Location"] == "/posts"


def test_logout_ends_the_server_side_session(rt, client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    cookie = client.get_cookie("postgate_session")
    response = web.logout()
    assert response.status_code == 302
    # Replaying the old cookie does not bring the session back.
    client.set_cookie("postgate_session", cookie.value)
    assert client.get("/me").status_code == 302
    with rt.store.session() as db:
        assert "session:logout" in db.scalars(select(AuditEntry.action)).all()


def test_revoked_user_is_signed_out_on_the_next_page(client, web, actors, app) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    assert client.get("/me").status_code == 200
    sec = actors.person("sec", "security")
    api = app.test_client()
    revoked = api.post("/api/v1/users/ana/revoke", json={}, headers=sec.headers)
    assert revoked.status_code == 200
    assert client.get("/me").status_code == 302


def test_session_cookie_does_not_authenticate_the_api(client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    assert client.get("/api/v1/me").status_code == 401


def test_profile_creates_and_revokes_tokens(client, web, actors) -> None:
    ana = actors.create("ana", "author")
    web.login(ana)
    made = web.submit("/me/tokens", page="/me", name="laptop", otp=ana.code())
    assert made.status_code == 201
    value = re.search(r"pg_[A-Za-z0-9_-]+", made.get_data(as_text=True)).group(0)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 200
    assert value not in client.get("/me").get_data(as_text=True)
    revoke_path = re.findall(
        r'action="(/me/tokens/\d+/revoke)"', client.get("/me").get_data(as_text=True)
    )
    assert len(revoke_path) == 2
    web.submit(revoke_path[-1], page="/me")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_2fa_page_enrolls_with_an_inline_svg_qr_code(rt, client, web, actors) -> None:
    from postgate import otp
    from postgate.services.recovery_codes import replace_recovery_codes
    from postgate.store.models import User

    ana = actors.create("ana", "author")
    web.login(ana)
    with rt.store.transaction() as db:
        spare = replace_recovery_codes(db, db.query(User).filter_by(username="ana").one().id)
    page = web.submit("/me/2fa/start", page="/me/2fa", otp=spare[0])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "style=" not in html
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', html).group(1)
    done = web.submit(
        "/me/2fa/confirm", page="/me/2fa", otp=otp.code_at(secret, otp.current_step() + 1)
    )
    assert done.status_code == 200
    codes = re.findall(
        r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>", done.get_data(as_text=True)
    )
    assert len(codes) == 10
    assert "10 unused recovery codes" in client.get("/me/2fa").get_data(as_text=True)


def test_role_pages_refuse_users_without_the_role(rt, actors) -> None:
    app = create_app({"TESTING": True}, settings=rt.settings)
    app.add_url_rule(
        "/only-security", "only_security", roles_required(("security",))(lambda: "secret page")
    )
    web = WebActions(app.test_client())
    assert web.client.get("/only-security").status_code == 302
    ana = actors.create("ana", "author", "reviewer", "admin")
    web.login(ana)
    refused = web.client.get("/only-security")
    assert refused.status_code == 403 and "secret page" not in refused.get_data(as_text=True)
    other = web.another()
    other.login(actors.create("sec", "security"))
    assert other.client.get("/only-security").get_data(as_text=True) == "secret page"


def test_someone_elses_token_cannot_be_revoked_from_the_web(client, web, actors, app) -> None:
    bob = actors.person("bob", "author")
    ana = actors.create("ana", "author")
    web.login(ana)
    response = web.submit("/me/tokens/1/revoke", page="/me")
    assert response.status_code == 404
    assert "no such token" in response.get_data(as_text=True)
    assert app.test_client().get("/api/v1/me", headers=bob.headers).status_code == 200
