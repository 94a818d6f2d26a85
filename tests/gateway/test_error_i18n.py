"""Service errors in the reader's language on the web, and in English in the API.

Services raise errors whose English ``message`` is made from a template and parameters
(``postgate.errors``); pages show ``gateway.i18n.error_text``: the template translated, then
filled in, with numbers written the reader's way. The API answers the same error with the
English message and field of CONTRACT.md, whatever language the caller's browser prefers.
"""

from __future__ import annotations

import re

import pytest

from gateway import create_app
from gateway.i18n import error_text
from postgate import otp, passwords
from postgate.errors import Conflict, PostgateError
from postgate.store.models import Post
from tests.gateway.test_finding_i18n import plain
from tests.helpers import WebActions, error_next_to, make_account

pytestmark = pytest.mark.store_neutral

FRENCH_BROWSER = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _raised(call, *args) -> PostgateError:
    with pytest.raises(PostgateError) as caught:
        call(*args)
    return caught.value


def _page(response) -> str:
    return plain(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "le mot de passe doit compter au moins 12 caractères"),
        ("en", "the password needs at least 12 characters"),
    ],
)
def test_a_too_short_password_reads_in_the_readers_language(app, lang, expected) -> None:
    exc = _raised(passwords.check_policy, "short")
    assert exc.message == "the password needs at least 12 characters"
    assert exc.params == {"count": passwords.MIN_LENGTH}
    with app.test_request_context(headers={"Cookie": f"postgate_lang={lang}"}):
        assert error_text(exc) == expected


def test_the_api_answers_a_too_short_password_in_english(client, actors) -> None:
    ada = actors.person("ada", "admin")
    made = client.post(
        "/api/v1/users", json={"username": "bo", "roles": ["author"]}, headers=ada.headers
    )
    link = made.get_json()["enrolment"]["token"]
    client.set_cookie("postgate_lang", "fr")
    answer = client.post(
        f"/api/v1/enrol/{link}", json={"password": "short"}, headers=FRENCH_BROWSER
    )
    assert answer.status_code == 422
    assert answer.get_json() == {
        "error": "invalid",
        "message": "the password needs at least 12 characters",
        "field": "password",
    }


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", r"trop de tentatives de connexion pour cet utilisateur ; réessayez dans 3 \d{3} s"),
        ("en", r"too many login attempts for this user; try again in 3,\d{3} seconds"),
    ],
)
def test_the_login_form_tells_how_long_to_wait_in_the_readers_language(
    rt, actors, lang, expected
) -> None:
    settings = rt.settings.with_overrides(login_limit_per_user=1, login_limit_window=3600)
    web = WebActions(create_app({"TESTING": True}, settings=settings).test_client())
    ana = actors.create("ana", "author")
    real_password, ana.password = ana.password, "not the password"
    web.try_login(ana, code="123456", lang=lang)
    limited = web.try_login(ana, code="123456", lang=lang)
    assert limited.status_code == 429
    assert re.search(expected, _page(limited)), "the wait, written the reader's way"
    assert real_password not in _page(limited) and ana.password not in _page(limited)


def _cancelled_post(web, actors, rt) -> int:
    """A post its author composed and then cancelled, on the web."""
    make_account(rt, "acme")
    web.login(actors.create("ana", "author"))
    web.submit(
        "/compose", accounts="acme", text="Nos prix baissent", scheduled_at="2030-03-04T10:00"
    )
    with rt.store.session() as db:
        post_id = db.query(Post).one().id
    assert web.submit(f"/posts/{post_id}/cancel", page=f"/posts/{post_id}").status_code == 302
    web.logout()
    return post_id


def _hash_of(rt, post_id: int) -> str:
    """The content hash of the post as the reviewer read it before it was cancelled."""
    with rt.store.session() as db:
        return db.get(Post, post_id).content_hash


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "une publication annulée ne peut pas être approuvée"),
        ("en", "a cancelled post cannot be approved"),
    ],
)
def test_approving_a_cancelled_post_is_refused_in_the_readers_language(
    web, actors, rt, lang, expected
) -> None:
    post_id = _cancelled_post(web, actors, rt)
    web.login(actors.create("rex", "reviewer"), lang=lang)
    refused = web.approve(post_id, content_hash=_hash_of(rt, post_id))  # as shown before
    assert refused.status_code == 409
    assert expected in _page(refused)


def test_the_api_refuses_approving_a_cancelled_post_in_english(client, web, actors, rt) -> None:
    post_id = _cancelled_post(web, actors, rt)
    rue = actors.person("rue", "reviewer")
    client.set_cookie("postgate_lang", "fr")
    answer = client.post(
        f"/api/v1/posts/{post_id}/approve",
        json={"content_hash": _hash_of(rt, post_id)},
        headers={**rue.headers, **FRENCH_BROWSER},
    )
    assert answer.status_code == 409
    assert answer.get_json() == {
        "error": "conflict",
        "message": "a cancelled post cannot be approved",
        "field": "status",
    }


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "une publication annulée ne peut pas être annulée"),
        ("en", "a cancelled post cannot be cancelled"),
    ],
)
def test_the_error_page_speaks_the_readers_language(web, actors, rt, lang, expected) -> None:
    post_id = _cancelled_post(web, actors, rt)
    web.login(actors.create("sid", "security"), lang=lang)
    again = web.submit(f"/posts/{post_id}/cancel", page="/me")
    assert again.status_code == 409
    assert f'<p role="alert">{expected}</p>' in _page(again)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "ce code a déjà servi ; attendez le suivant"),
        ("en", "this code was used already; wait for the next one"),
    ],
)
def test_enrolling_with_a_used_code_is_refused_in_the_readers_language(
    web, actors, lang, expected
) -> None:
    ana = actors.create("ana", "author")
    web.login(ana, lang=lang)  # uses the code of the current step
    page = web.submit("/me/2fa/start", page="/me/2fa", otp=ana.code())
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.get_data(as_text=True))
    used = otp.code_at(secret.group(1), max(ana._used_steps))
    refused = web.submit("/me/2fa/confirm", page="/me/2fa", otp=used)
    assert refused.status_code == 401
    assert expected in _page(refused)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "un utilisateur nommé « ana » existe déjà"),
        ("en", "a user named 'ana' exists already"),
    ],
)
def test_a_form_error_next_to_its_field_speaks_the_readers_language(
    web, actors, lang, expected
) -> None:
    actors.create("ana", "author")
    web.login(actors.create("ada", "admin"), lang=lang)
    new = {"new-username": "ana", "new-roles": ["author"]}
    taken = web.submit("/security/users/new", new, page="/security/users")
    assert taken.status_code == 409
    assert plain(error_next_to(taken.get_data(as_text=True), "new-username")) == expected


def test_a_translation_that_does_not_fit_shows_the_english_message(app, monkeypatch) -> None:
    exc = Conflict("a {status} post cannot be approved", field="status", status="cancelled")
    monkeypatch.setattr("gateway.i18n.gettext", lambda text: "{missing} ne va pas")
    with app.test_request_context(headers={"Cookie": "postgate_lang=fr"}):
        assert error_text(exc) == "a cancelled post cannot be approved"


def test_every_error_keeps_its_english_message_for_the_api() -> None:
    exc = Conflict("no freeze is in force for account {name!r}", field="account", name="acme")
    assert exc.to_dict() == {
        "error": "conflict",
        "message": "no freeze is in force for account 'acme'",
        "field": "account",
    }
    assert exc.template == "no freeze is in force for account {name!r}"
    assert str(exc) == exc.message
