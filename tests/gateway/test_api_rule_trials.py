"""``POST /api/v1/rules/forms/{id}/try`` and ``POST /api/v1/catalog/try``: a rule's form or
catalogue rows, in the body their ``PUT`` takes, run against the last 30 days of posts with
no code; the counts and posts as ``POST /rules/try`` answers them; bad values refused as the
``PUT`` refuses them; nothing saved."""

from __future__ import annotations

import pytest

from gateway import create_app
from postgate.services.checking import current_ruleset
from tests.gateway.test_web_rule_trials import POSTS
from tests.helpers import Actors, make_account
from tests.postgate.service_people import people, submitted

# Its subject is pages, HTTP shapes or a protocol; the store work behind it is held on both
# databases by the service tests: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.store_neutral


@pytest.fixture
def scene(rt, totp_clock):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    client = app.test_client()
    actors = Actors(rt, client, totp_clock)
    make_account(rt, "acme")
    people(rt, ana=("author",))
    ids = {name: submitted(rt, "ana", text) for name, text in POSTS.items()}
    return client, actors, ids


def saved(client, who) -> list[int]:
    answer = client.get("/api/v1/rules/versions", headers=who.headers).get_json()
    return [v["id"] for v in answer["versions"]]


def test_a_rule_form_tried(rt, scene):
    client, actors, ids = scene
    ada, sec = actors.person("ada", "admin"), actors.person("sec", "security")
    before, version = saved(client, ada), current_ruleset(rt).version
    url = "/api/v1/rules/forms/contact-details/try"
    tried = client.post(url, json={"severity": "block"}, headers=ada.headers)
    assert tried.status_code == 200, tried.get_json()
    answer = tried.get_json()
    assert (answer["would_block"], answer["would_flag"]) == (4, 0)
    assert {p["id"] for p in answer["posts"]} == {
        ids[n] for n in ("blocked", "flagged", "lamp", "scam")
    }
    assert all(p["would_block"] for p in answer["posts"])
    terms = client.post(
        "/api/v1/rules/forms/banned-terms/try",
        json={"options": {"terms": ["connard"]}},  # every other term removed
        headers=sec.headers,  # the security lead may try, not save
    ).get_json()
    assert (terms["would_block"], terms["would_flag"]) == (2, 1)
    assert ids["scam"] not in {p["id"] for p in terms["posts"]}
    bad = client.post(
        url.replace("contact-details", "links"),
        json={"options": {"block": ["bit.ly", "not a domain"]}},
        headers=ada.headers,
    )
    assert bad.status_code == 422 and bad.get_json()["field"] == "options.block"
    assert "line 2" in bad.get_json()["message"]
    unknown = client.post("/api/v1/rules/forms/nope/try", json={}, headers=ada.headers)
    assert unknown.status_code == 422 and unknown.get_json()["field"] == "rule"
    ana = actors.person("ana2", "author")
    assert client.post(url, json={}, headers=ana.headers).status_code == 403
    assert saved(client, ada) == before and current_ruleset(rt).version == version


def test_catalogue_rows_tried(rt, scene):
    client, actors, ids = scene
    ada = actors.person("ada", "admin")
    before, version = saved(client, ada), current_ruleset(rt).version
    catalog = client.get("/api/v1/catalog", headers=ada.headers).get_json()
    products = [dict(p, price="30.00") if p["sku"] == "LUM-001" else p for p in catalog["products"]]
    rows = client.post("/api/v1/catalog/try", json={"products": products}, headers=ada.headers)
    assert rows.status_code == 200, rows.get_json()
    assert (rows.get_json()["would_block"], rows.get_json()["would_flag"]) == (2, 1)
    assert ids["lamp"] not in {p["id"] for p in rows.get_json()["posts"]}
    same = client.post("/api/v1/catalog/try", json={"csv": catalog["csv"]}, headers=ada.headers)
    assert (same.get_json()["would_block"], same.get_json()["would_flag"]) == (3, 1)
    bad = client.post(
        "/api/v1/catalog/try",
        json={"csv": catalog["csv"].replace("34.90", "34,90")},
        headers=ada.headers,
    )
    assert bad.status_code == 422 and bad.get_json()["field"] in ("catalog", "price")
    neither = client.post("/api/v1/catalog/try", json={}, headers=ada.headers)
    assert neither.status_code == 422 and neither.get_json()["field"] == "csv"
    assert saved(client, ada) == before and current_ruleset(rt).version == version


def test_loosening_reasons_in_the_callers_language(rt, scene):
    """``loosening`` stays the English record; ``loosening_text`` says it in the caller's
    language, as the rules page does."""
    client, actors, _ = scene
    ada = actors.person("ada", "admin")
    put = client.put(
        "/api/v1/rules/forms/links",
        json={"options": {"block": ["bit.ly"]}, "otp": ada.code()},
        headers=ada.headers | {"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert put.status_code == 201, put.get_json()
    version = put.get_json()
    english = 'rule "links": tinyurl.com, grabify.link, iplogger.org removed from block'
    assert version["loosening"] == [english]
    assert version["loosening_text"] == [
        "règle «\u00a0links\u00a0»\u00a0: tinyurl.com, grabify.link, iplogger.org retiré de block"
    ], version["loosening_text"]
    shown = client.get(
        f"/api/v1/rules/versions/{version['id']}",
        headers=ada.headers | {"Accept-Language": "en"},
    ).get_json()
    assert shown["loosening_text"] == shown["loosening"] == [english]
