""" "Try it" on every way the rules page changes the rules: a rule's form, a banned term added
or removed, a catalogue row and a CSV import. Each runs the change against the last 30 days
of posts (would have blocked N, flagged M, the posts listed), asks no code, and saves
nothing: no new version, the rules in force unchanged."""

from __future__ import annotations

import re

import pytest

from gateway import create_app
from postgate.services import rule_versions
from postgate.services.checking import current_ruleset
from tests.helpers import Actors, WebActions, make_account
from tests.postgate.service_people import BLOCKED, CLEAN, FLAGGED, people, submitted

pytestmark = pytest.mark.store_neutral

LAMP = "La Lampe Lumen à 30 € seulement"  # the catalogue says 34.90: blocked
SCAM = "Quelle arnaque !"  # blocked by the term arnaqu* alone
SUMMARY = re.compile(r"would have blocked (\d+) and flagged (\d+)\.")


@pytest.fixture
def scene(rt, totp_clock):
    """Ada (admin) signed in, and five posts of the last 30 days: clean, blocked by two
    terms, flagged (an e-mail address), a wrong price and a scam."""
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    web, actors = WebActions(app.test_client()), Actors(rt, None, totp_clock)
    ada = actors.create("ada", "admin")
    make_account(rt, "acme")
    people(rt, ana=("author",))
    ids = {name: submitted(rt, "ana", text) for name, text in POSTS.items()}
    web.login(ada)
    return web, ids


POSTS = {"clean": CLEAN, "blocked": BLOCKED, "flagged": FLAGGED, "lamp": LAMP, "scam": SCAM}


def versions(rt) -> list[int]:
    with rt.store.session() as db:
        return [v.id for v in rule_versions.history(db)]


def counts(page: str) -> tuple[int, int]:
    found = SUMMARY.search(page)
    assert found, page[:2000]
    return int(found.group(1)), int(found.group(2))


def listed(page: str) -> set[int]:
    trial = page.split('id="trial"', 1)[1]
    return {int(n) for n in re.findall(r'href="/posts/(\d+)"', trial)}


def post(web: WebActions, path: str, prefix: str, **fields: str):
    """Press "Try it" on a form of the rules page, with no code."""
    data = {f"{prefix}-csrf_token": web.csrf("/admin/rules"), "try": "1"}
    data |= {
        k if k.startswith(("rule-", "product-")) else f"{prefix}-{k}": v for k, v in fields.items()
    }
    response = web.client.post(path, data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def unchanged(rt, before: list[int], version: str) -> None:
    assert versions(rt) == before
    assert current_ruleset(rt).version == version


def test_the_version_in_force_as_a_baseline(rt, scene):
    web, ids = scene
    page = post(web, "/admin/rules/text", "text", rules=rt.settings.rules_path.read_text())
    assert counts(page) == (3, 1)
    assert listed(page) == {ids["blocked"], ids["flagged"], ids["lamp"], ids["scam"]}


def test_a_rule_form_tried_counts_and_lists_without_saving(rt, scene):
    web, ids = scene
    web.client.get("/admin/rules")
    before, version = versions(rt), current_ruleset(rt).version
    page = post(
        web,
        "/admin/rules/rule",
        "rule",
        **{"rule-rule": "contact-details", "rule-severity": "block"},
    )
    assert counts(page) == (4, 0)  # the e-mail address now blocks
    assert listed(page) == {ids["blocked"], ids["flagged"], ids["lamp"], ids["scam"]}
    assert re.search(r'<details class="rule-form" id="rule-contact-details" open>', page)
    unchanged(rt, before, version)
    bad = web.client.post(
        "/admin/rules/rule",
        data={
            "rule-csrf_token": web.csrf("/admin/rules"),
            "rule-rule": "links",
            "rule-severity": "block",
            "rule-f-block": "bit.ly\nnot a domain",
            "try": "1",
        },
    )
    assert bad.status_code == 422 and "block, line 2" in bad.get_data(as_text=True)
    unchanged(rt, before, version)


def test_a_term_added_or_removed_tried_without_saving(rt, scene):
    web, ids = scene
    web.client.get("/admin/rules")
    before, version = versions(rt), current_ruleset(rt).version
    added = post(web, "/admin/rules/terms/add", "add", rule="banned-terms", term="collection")
    assert counts(added) == (4, 1) and ids["clean"] in listed(added)
    assert 'value="collection"' in added  # the term typed stays in its box
    removed = post(web, "/admin/rules/terms/remove", "remove", rule="banned-terms", term="arnaqu*")
    assert counts(removed) == (2, 1) and ids["scam"] not in listed(removed)
    assert ids["blocked"] in listed(removed)  # still blocked by its other term
    unchanged(rt, before, version)


def test_a_catalogue_row_and_an_import_tried_without_saving(rt, scene):
    web, ids = scene
    web.client.get("/admin/rules")
    before, version = versions(rt), current_ruleset(rt).version
    row = {
        "product-original": "LUM-001",
        "product-sku": "LUM-001",
        "product-name": "Lampe Lumen",
        "product-aliases": "Lumen Lamp|Lumen",
        "product-price": "30.00",
        "product-currency": "EUR",
    }
    page = post(web, "/admin/rules/catalog/product", "product", **row)
    assert counts(page) == (2, 1) and ids["lamp"] not in listed(page)
    assert 'value="30.00"' in page  # the row as typed, its form open
    csv = rt.settings.rules_path.with_name("catalog.csv").read_text()
    cheaper = csv.replace(
        "LUM-001,Lampe Lumen,Lumen Lamp|Lumen,34.90", "LUM-001,Lampe Lumen,Lumen Lamp|Lumen,30.00"
    )
    assert cheaper != csv
    page = post(web, "/admin/rules/catalog", "catalog", csv=cheaper)
    assert counts(page) == (2, 1) and ids["lamp"] not in listed(page)
    broken = web.client.post(
        "/admin/rules/catalog",
        data={
            "catalog-csrf_token": web.csrf("/admin/rules"),
            "catalog-csv": csv.replace("34.90", "34,90 €"),
            "try": "1",
        },
    )
    assert broken.status_code == 422 and "catalog.csv" in broken.get_data(as_text=True)
    unchanged(rt, before, version)


def test_only_admins_try_on_the_page(rt, scene, totp_clock):
    web, _ = scene
    lead = web.another()
    lead.login(Actors(rt, None, totp_clock).create("sec", "security"))
    page = lead.client.get("/security/rules").get_data(as_text=True)
    assert 'name="try"' not in page
    refused = lead.client.post(
        "/admin/rules/rule",
        data={"rule-csrf_token": lead.csrf("/security/rules"), "rule-rule": "links", "try": "1"},
    )
    assert refused.status_code == 403
