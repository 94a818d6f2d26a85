"""The incident report in the reader's language: the page and the Markdown download.

Each line of the timeline keeps its English ``summary`` (the API, the record) and the
template and parameters it was made from; French readers get it in French, what a platform
said quoted as the original.
"""

from __future__ import annotations

import pytest

from gateway.reasons import summary_text, takedown_text
from postgate.services.incident_words import ITEM_WHY, Said
from postgate.services.manual_steps import manual_revoke
from tests.gateway.test_french_pages import _Visible
from tests.gateway.test_reason_i18n import flat
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral


def _takedown(web, actors, rt, lang: str) -> str:
    make_account(rt, "acme")
    lead = actors.create("lea", "security")
    web.login(lead, lang=lang)
    form = {"accounts": "acme", "since": "2026-01-05T08:30", "clock": "UTC", "otp": lead.code()}
    response = web.submit("/security/takedowns", form, page="/security")
    assert response.status_code == 302
    return response.headers["Location"] + "/report"


def test_the_report_reads_in_french_on_the_page_and_in_markdown(client, web, actors, rt):
    report = _takedown(web, actors, rt, "fr")
    page = client.get(report).get_data(as_text=True)
    text = flat(page)
    assert "retrait lancé sur acme depuis 2026-01-05" in text
    assert "gel du compte acme : retrait n° 1" in text  # the freeze the takedown set
    assert "sessions et jetons d'API fermés (tout le monde)" in text
    parser = _Visible({"acme", "lea"})
    parser.feed(page)
    assert not parser.english(), parser.english()
    for path in (report.removesuffix("/report"), "/security", "/security/takedowns"):
        parser = _Visible({"acme", "lea"})
        parser.feed(client.get(path).get_data(as_text=True))
        assert not parser.english(), (path, parser.english())
    markdown = flat(client.get(report + "?format=markdown").get_data(as_text=True))
    assert markdown.startswith("# Rapport d'incident : retrait n° ")
    assert "## Chronologie" in markdown and "| heure | événement | acteur | quoi |" in markdown
    assert "retrait lancé sur acme depuis" in markdown


def test_the_report_stays_english_for_an_english_reader(client, web, actors, rt):
    report = _takedown(web, actors, rt, "en")
    markdown = client.get(report + "?format=markdown").get_data(as_text=True)
    assert markdown.startswith("# Incident report: takedown #")
    assert "takedown started on acme since 2026-01-05" in markdown


def test_what_a_platform_said_is_quoted_as_the_original(app):
    said = Said(
        ITEM_WHY,
        {
            "origin": "unauthorized",
            "remote_id": "109",
            "account": "acme",
            "outcome": "still_live",
            "detail": "HTTP 403: Forbidden",
        },
    ).as_dict()
    assert said["summary"] == "unauthorized post 109 on acme: still_live (HTTP 403: Forbidden)"
    with app.test_request_context(headers={"Cookie": "postgate_lang=fr"}):
        assert flat(summary_text(said)) == (
            "publication 109 (non autorisée) sur acme : toujours en ligne "
            "(original : « HTTP 403: Forbidden »)"
        )
    with app.test_request_context(headers={"Cookie": "postgate_lang=en"}):
        assert summary_text(said) == said["summary"]


def test_what_a_takedown_could_not_do_reads_in_french(app):
    manual = manual_revoke("mastodon")
    stored = {
        f"the revocation failed: HTTP 401: invalid_client. By hand: {manual}": (
            "la révocation a échoué (original : « HTTP 401: invalid_client »). À faire à la "
            "main : sur le serveur, Préférences > Compte > Applications autorisées"
        ),
        "the account has more than 200 posts: only the newest were checked; the window was "
        "widened after the credential was revoked: posts from the earlier part could not be "
        "listed; check the account on the platform": (
            "le compte a plus de 200 publications : seules les plus récentes ont été vérifiées "
            "; la période a été élargie après la révocation"
        ),
        "HTTP 500: upstream timeout": "original : « HTTP 500: upstream timeout »",
    }
    for text, french in stored.items():
        with app.test_request_context(headers={"Cookie": "postgate_lang=fr"}):
            assert flat(takedown_text(text)).startswith(flat(french)), takedown_text(text)
        with app.test_request_context(headers={"Cookie": "postgate_lang=en"}):
            assert takedown_text(text) == text


def test_a_preview_that_could_not_list_says_why_in_french(app):
    stored = "could not list the account: sandbox: could not connect (ConnectError)"
    with app.test_request_context(headers={"Cookie": "postgate_lang=fr"}):
        assert flat(takedown_text(stored)) == (
            "impossible de lister le compte (original : « sandbox: could not connect "
            "(ConnectError) »)"
        )
