"""Rule findings in the reader's language: the live check, the review page and post pages.

The rules speak English (``message``, what the API and stored rows carry); the web layer
shows each finding's template translated and filled in. Every template needs its French in
the compiled catalog, so a new one without a translation fails here.
"""

from __future__ import annotations

import html
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from sqlalchemy import update

import gateway
from postgate.store.models import Post, User
from rules import templates
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral

TRANSLATIONS = Path(gateway.__file__).parent / "translations"
PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
# A Saturday, outside "mon-fri"; a wrong price for a product whose promotion is over by then.
TEXT = "Quelle arnaque ! Le Casque Aurora à 89,99 €"
SATURDAY = "2030-03-09T10:00"

FRENCH = {
    "banned-terms": "Terme interdit : « arnaqu* » (écrit « arnaque »).",
    "prices": (
        "La publication indique « 89,99 € » pour Casque Aurora, mais le prix du catalogue "
        "est de 99,99 € (promotion à 79,99 € du 28 novembre 2025 au 1 décembre 2025, "
        "pas en vigueur ce jour-là)."
    ),
    "schedule": (
        "Le samedi 9 mars 2030 à 10:00 (Europe/Paris) est en dehors des plages de "
        "publication (lun.-ven. 08:00-20:00)."
    ),
}
ENGLISH = {
    "banned-terms": 'Banned term "arnaqu*" (written "arnaque").',
    "prices": (
        'The post says "89,99 €" for Casque Aurora, but the catalogue price is €99.99 '
        "(promotion €79.99, November 28, 2025 to December 1, 2025, not in force on that day)."
    ),
    "schedule": (
        "Saturday, March 9, 2030 at 10:00 (Europe/Paris) is outside the posting windows "
        "(Mon-Fri 08:00-20:00)."
    ),
}
# What the API and the stored rows keep, whatever the reader's language.
STORED = {
    "banned-terms": 'Banned term "arnaqu*" (written "arnaque").',
    "prices": (
        'The post says "89,99 €" for Casque Aurora, but the catalogue price is 99.99 EUR '
        "(promotion 79.99 EUR, 2025-11-28 to 2025-12-01, not in force on that day)."
    ),
    "schedule": (
        "2030-03-09 at 10:00 (Europe/Paris) is outside the posting windows (mon-fri 08:00-20:00)."
    ),
}


def plain(text: str) -> str:
    """Babel writes French with no-break spaces ("99,99 €"); compare with plain ones."""
    return html.unescape(text).replace("\u00a0", " ").replace("\u202f", " ")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("template", templates())
def test_every_rule_template_has_a_french_translation(template: str) -> None:
    compiled = Translations.load(str(TRANSLATIONS), ["fr"], domain="messages")
    french = compiled.ugettext(template)
    assert french != template, f"no French for {template!r} in messages.mo (compile the .po)"
    assert _fields(french) == _fields(template), "the translation must use the same {fields}"
    with PO.open("rb") as handle:
        entry = read_po(handle, locale="fr").get(template)
    assert entry is not None and entry.string == french and not entry.fuzzy


def _account(rt) -> None:
    make_account(rt, "acme", timezone="Europe/Paris", windows=["mon-fri 08:00-20:00"])


def _on_paris_clock(rt, username: str) -> None:
    """The author types times on their own clock: Paris, as the account's."""
    with rt.store.transaction() as db:
        db.execute(update(User).where(User.username == username).values(timezone="Europe/Paris"))


def _check(web) -> dict[str, dict]:
    body = {"accounts": ["acme"], "text": TEXT, "scheduled_at": SATURDAY}
    answer = web.submit("/compose/check", page="/compose", json=body)
    assert answer.status_code == 200
    return {f["rule"]: f for f in answer.get_json()["results"][0]["findings"]}


@pytest.mark.parametrize(("lang", "expected"), [("fr", FRENCH), ("en", ENGLISH)])
def test_live_check_shows_findings_in_the_readers_language(
    web, actors, rt, lang: str, expected: dict[str, str]
) -> None:
    _account(rt)
    ana = actors.create("ana", "author")
    _on_paris_clock(rt, "ana")
    web.login(ana, lang=lang)
    findings = _check(web)
    for rule, text in expected.items():
        assert plain(findings[rule]["display"]) == text
        assert findings[rule]["message"] == STORED[rule]  # the English message stays
    assert findings["schedule"]["params"]["date"] == "2030-03-09"


def _submitted(web, actors, rt, text: str = TEXT, when: str = SATURDAY) -> tuple:
    _account(rt)
    ana, rex = actors.create("ana", "author"), actors.create("rex", "reviewer")
    _on_paris_clock(rt, "ana")
    web.login(ana)
    web.submit("/compose", accounts="acme", text=text, scheduled_at=when)
    web.logout()
    with rt.store.session() as db:
        return ana, rex, db.query(Post).one().id


@pytest.mark.parametrize(("lang", "expected"), [("fr", FRENCH), ("en", ENGLISH)])
def test_review_page_shows_findings_in_the_readers_language(
    client, web, actors, rt, lang: str, expected: dict[str, str]
) -> None:
    _ana, rex, post_id = _submitted(web, actors, rt)
    web.login(rex, lang=lang)
    page = plain(client.get(f"/review/{post_id}").get_data(as_text=True))
    for rule, text in expected.items():
        assert f"<code>{rule}</code> {text}</li>" in page  # the list of findings
        if rule != "schedule":
            assert f"{rule}: {text}" in page  # the marked span's title
    other = ENGLISH if lang == "fr" else FRENCH
    assert not any(text in page for text in other.values())


def test_post_page_flags_and_api_keep_their_own_language(client, web, actors, rt) -> None:
    monday = "2030-03-04T10:00"  # in the window: the post waits for review, with one flag
    ana, rex, post_id = _submitted(web, actors, rt, "Écrivez à jo@example.org", monday)
    web.login(rex, lang="fr")
    page = plain(client.get(f"/review/{post_id}").get_data(as_text=True))
    flag = "contact-details: La publication semble contenir une adresse e-mail."
    assert f"{flag}</label>" in page  # the acknowledge box names the flag in French
    detail = plain(client.get(f"/posts/{post_id}").get_data(as_text=True))
    assert "La publication semble contenir une adresse e-mail." in detail
    api = client.get(f"/api/v1/posts/{post_id}", headers=actors.login(ana).headers).get_json()
    messages = {f["rule"]: f["message"] for f in api["findings"]}
    assert messages["contact-details"] == "The post contains what looks like an e-mail address."
    found = next(f for f in api["findings"] if f["rule"] == "contact-details")
    assert found["template"].format(**found["params"]) == found["message"]  # for API clients


def test_an_administrators_message_is_shown_as_written(client, web, actors, rt) -> None:
    _ana, rex, post_id = _submitted(web, actors, rt, text="Corrigé, voir INC-1234.")
    web.login(rex, lang="fr")
    page = plain(client.get(f"/review/{post_id}").get_data(as_text=True))
    assert "<code>internal-ticket</code> Internal ticket numbers must not appear" in page


def test_findings_stored_without_a_template_show_their_message(client, web, actors, rt) -> None:
    _ana, rex, post_id = _submitted(web, actors, rt)
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        old = {"rule": "banned-terms", "severity": "block", "span": [7, 14]}
        broken = {"rule": "prices", "severity": "block", "span": None}
        post.findings = [
            {**old, "message": "Banned term (stored long ago)."},
            {**broken, "message": "Stored English.", "template": "{missing}", "params": {}},
        ]
    web.login(rex, lang="fr")
    page = plain(client.get(f"/review/{post_id}").get_data(as_text=True))
    assert "<code>banned-terms</code> Banned term (stored long ago).</li>" in page
    assert "banned-terms: Banned term (stored long ago)." in page
    assert "<code>prices</code> Stored English.</li>" in page
