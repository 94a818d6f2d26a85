"""Stored reasons in the reader's language; the stored English stays for the record.

The services store why a post is where it is (``Post.reason``) and why an approval stopped
counting in English; pages show them through ``gateway.reasons``, whose templates are the
stable codes of those reasons. What a platform said is quoted as the original, never
translated; a reviewer's rejection is shown in their own words.
"""

from __future__ import annotations

import ast

import pytest
from babel.support import Translations

from gateway.reasons import TEMPLATES, _match, reason_text, rules_text
from postgate.services.disconnection import waiting_reason
from postgate.services.publishing import FROZEN
from postgate.services.unfreeze import BACK_TO_REVIEW
from postgate.states import PostStatus
from postgate.store.models import Post
from tests.conftest import ROOT
from tests.gateway.test_finding_i18n import plain
from tests.helpers import make_account

pytestmark = pytest.mark.store_neutral

FRENCH = {
    "blocking findings": "constats bloquants",
    "edited": "modifiée",
    "taken down (takedown #12)": "retirée (retrait n° 12)",
    "cancelled by ana": "annulée par ana",
    "approval voided: edited": "approbation annulée : modifiée",
    "approval voided: reviewer rex revoked": "approbation annulée : relecteur rex révoqué",
    BACK_TO_REVIEW: "gel levé : retour en relecture",
    FROZEN: "gel : les publications sont suspendues pour ce compte",
    "account acme is compromised": "le compte acme est compromis",
    waiting_reason("acme"): (
        "en attente : le compte acme est déconnecté ; la publication partira dès sa reconnexion"
    ),
    "attempt 2: mastodon: timed out waiting for a reply (ReadTimeout)": (
        "tentative 2 : la plateforme n'a pas abouti "
        "(original : « mastodon: timed out waiting for a reply (ReadTimeout) »)"
    ),
    "gave up after 3 attempts: mastodon: HTTP 422: text too long": (
        "abandon après 3 tentatives : la plateforme a refusé la publication "
        "(original : « mastodon: HTTP 422: text too long »)"
    ),
    "blocked by the rules at publish time (schedule, prices)": (
        "bloquée par les règles au moment de publier (schedule, prices)"
    ),
}


def flat(text: str) -> str:
    """``plain``, with French apostrophes (U+2019) written as ASCII ones."""
    return plain(text).replace("\u2019", "'")


def _in(app, lang: str):
    return app.test_request_context(headers={"Cookie": f"postgate_lang={lang}"})


@pytest.mark.parametrize(("stored", "french"), FRENCH.items())
def test_each_stored_reason_reads_in_french_and_stays_english_in_english(
    app, stored: str, french: str
) -> None:
    with _in(app, "fr"):
        assert flat(reason_text(stored)) == french
    with _in(app, "en"):
        assert reason_text(stored) == stored


def test_text_no_template_fits_is_shown_as_stored(app) -> None:
    with _in(app, "fr"):
        assert reason_text("Pas assez sourcé, merci de revoir.") == (
            "Pas assez sourcé, merci de revoir."
        )


def _sample(node: ast.expr) -> str | None:
    """A stored reason an expression of the services can make: fields filled with 7."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "7" for v in node.values)
    return None


def _written_reasons() -> list[tuple[str, str]]:
    """Every literal reason the services and workers store on a post or an approval."""
    found = []
    for path in [*(ROOT / "postgate" / "services").glob("*.py"), *(ROOT / "workers").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == "reason":
                        values.append(node.value)
                    elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        values += [
                            v
                            for t, v in zip(target.elts, node.value.elts, strict=False)
                            if isinstance(t, ast.Attribute) and t.attr == "reason"
                        ]
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in {"void_approvals", "_give_up", "_block"} and len(node.args) >= 3:
                    values.append(node.args[-1])
                values += [k.value for k in node.keywords if k.arg == "reason"]
            for value in values:
                if isinstance(value, ast.IfExp):
                    candidates = [value.body, value.orelse]
                else:
                    candidates = [value]
                for candidate in candidates:
                    sample = _sample(candidate)
                    if sample:
                        found.append((f"{path.name}:{node.lineno}", sample))
    return found


def test_every_reason_the_services_store_has_a_template() -> None:
    written = _written_reasons()
    assert len(written) > 12, "the scan of the services found too little"
    # Reasons of a worker's claim (ClaimResult) go to logs, not to the post.
    internal = {"post is 7", "claimed by another worker", "another attempt holds the claim"}
    internal |= {"post gone or edited since", "a newer attempt is scheduled"}
    missing = [
        f"{where}: {text!r}"
        for where, text in written
        if text not in internal and _match(text) is None
    ]
    assert not missing, "no template in gateway/reasons.py for:\n" + "\n".join(missing)


def test_every_reason_template_has_its_french() -> None:
    compiled = Translations.load(str(ROOT / "gateway" / "translations"), ["fr"])
    english_words = {"edited", "rejected"}
    for template in TEMPLATES:
        assert compiled.ugettext(template) != template or template in english_words


def _post(web, actors, rt) -> tuple:
    make_account(rt, "acme")
    ana = actors.create("ana", "author")
    web.login(ana)
    web.submit("/compose", accounts="acme", text="Bonjour à tous")
    web.logout()
    with rt.store.session() as db:
        return ana, db.query(Post).one().id


def _set(rt, post_id: int, **values) -> None:
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        for name, value in values.items():
            setattr(post, name, value)


def test_a_failed_post_page_says_it_in_french_and_quotes_the_platform(
    client, web, actors, rt
) -> None:
    ana, post_id = _post(web, actors, rt)
    platform = "mastodon: HTTP 422: Validation failed: Text character limit of 500 exceeded"
    _set(rt, post_id, status=PostStatus.FAILED, reason=platform)
    web.login(ana, lang="fr")
    for page in (f"/posts/{post_id}", "/posts"):
        text = plain(client.get(page).get_data(as_text=True))
        assert f"la plateforme a refusé la publication (original : « {platform} »)" in text
    api = client.get(f"/api/v1/posts/{post_id}", headers=actors.login(ana).headers).get_json()
    assert api["status_reason"] == platform  # the record keeps what the platform said


def test_an_unknown_outcome_reads_in_french_on_the_post_page(client, web, actors, rt) -> None:
    ana, post_id = _post(web, actors, rt)
    _set(
        rt,
        post_id,
        status=PostStatus.PUBLISHING,
        reason="attempt 1: sandbox: connection failed (ReadError)",
        outcome_unknown=True,
        unresolved_reason="sandbox: could not connect (ConnectError)",
    )
    web.login(ana, lang="fr")
    text = flat(client.get(f"/posts/{post_id}").get_data(as_text=True))
    assert (
        "tentative 1 : la plateforme n'a pas abouti (original : « sandbox: connection failed "
        "(ReadError) ») ; issue inconnue : le compte est relu avant toute nouvelle tentative ; "
        "impossible de relire le compte pour établir l'issue : sandbox: could not connect "
        "(ConnectError) ; nouvelles tentatives en cours"
    ) in text
    web.logout()
    web.login(ana, lang="en")
    english = plain(client.get(f"/posts/{post_id}").get_data(as_text=True))
    assert "outcome unknown: the account is read back before any retry" in english


def test_a_rejection_is_shown_in_the_reviewers_words(client, web, actors, rt) -> None:
    ana, post_id = _post(web, actors, rt)
    _set(rt, post_id, status=PostStatus.REJECTED, reason="blocking findings")
    web.login(ana, lang="fr")
    text = plain(client.get(f"/posts/{post_id}").get_data(as_text=True))
    assert "Motif : blocking findings" in text  # what the reviewer typed, as typed


def test_a_voided_approval_says_why_in_french(client, web, actors, rt) -> None:
    ana, post_id = _post(web, actors, rt)
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        post.reason = "approval voided: reviewer rex revoked"
    web.login(ana, lang="fr")
    text = plain(client.get(f"/posts/{post_id}").get_data(as_text=True))
    assert "approbation annulée : relecteur rex révoqué" in text


def _notify(rt, username: str, kind: str, reason: str) -> None:
    from postgate.store.models import Notification, User

    with rt.store.transaction() as db:
        user = db.query(User).filter_by(username=username).one()
        params = {"post": 7, "account": "acme", "reason": reason, "link": "/posts/7"}
        db.add(Notification(user_id=user.id, kind=kind, params=params))


def test_notifications_say_the_reason_in_french(client, web, actors, rt) -> None:
    make_account(rt, "acme")
    ana = actors.create("ana", "author")
    _notify(rt, "ana", "post.blocked", "blocked by the rules at publish time (schedule)")
    _notify(rt, "ana", "post.failed", "mastodon: HTTP 422: Validation failed")
    _notify(rt, "ana", "post.rejected", "approval voided: edited")  # the reviewer's words
    web.login(ana, lang="fr")
    page = flat(client.get("/notifications").get_data(as_text=True))
    assert "bloquée par les règles au moment de publier (schedule)" in page
    assert "acme : original : « mastodon: HTTP 422: Validation failed »" in page
    assert "approval voided: edited" in page
    web.logout()
    web.login(ana, lang="en")
    english = flat(client.get("/notifications").get_data(as_text=True))
    assert "blocked by the rules at publish time (schedule)" in english


def test_a_platform_refusing_credentials_is_quoted_as_the_original(app) -> None:
    from gateway.i18n import error_text
    from postgate.errors import ValidationFailed

    said = "HTTP 401: The access token is invalid"
    exc = ValidationFailed("the platform refused the credentials: {detail}", detail=said)
    assert exc.message == f"the platform refused the credentials: {said}"  # the API's
    with _in(app, "fr"):
        assert flat(error_text(exc)) == (
            f"la plateforme a refusé les identifiants (original : « {said} »)"
        )


RULES_FRENCH = {
    "config files": "fichiers de configuration",
    "imported from the configuration files": "importée des fichiers de configuration",
    "rollback to version 3": "retour à la version 3",
    "remove term 'arnaqu*'": "retrait du terme « arnaqu* »",
    'rule "banned-terms": scam removed from terms': "règle « banned-terms » : scam retiré de terms",
    'rule "limits": max_length for mastodon raised from 500 to 600': (
        "règle « limits » : max_length pour mastodon relevé de 500 à 600"
    ),
    'rule "prices" lowered from block to flag': (
        "règle « prices » abaissée de blocage à signalement"
    ),
    'product "AUR-1": price changed': "produit « AUR-1 » : price modifié",
    "Typo in the prices": "Typo in the prices",  # an administrator's own note, as written
}


@pytest.mark.parametrize(("stored", "french"), RULES_FRENCH.items())
def test_the_rules_page_says_who_why_and_what_loosens_in_french(
    app, stored: str, french: str
) -> None:
    with _in(app, "fr"):
        assert flat(rules_text(stored)) == french
    with _in(app, "en"):
        assert rules_text(stored) == stored


def test_the_rules_page_shows_the_imported_version_in_french(client, web, actors) -> None:
    web.login(actors.create("ada", "admin"), lang="fr")
    page = flat(client.get("/admin/rules").get_data(as_text=True))
    assert "fichiers de configuration" in page and "importée des fichiers de configuration" in page
    assert "config files" not in page and "imported from the configuration" not in page
