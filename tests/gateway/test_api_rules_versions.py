"""``/api/v1/rules`` and ``/api/v1/catalog``: changes with 2FA, loosening approved by a second
person, versions with rollback, "try it", and errors naming the line and field (never 500)."""

from __future__ import annotations

import pytest

from gateway import create_app
from postgate.services.checking import current_ruleset
from tests.helpers import Actors, make_account
from tests.postgate.service_people import BLOCKED, CLEAN, people, submitted


@pytest.fixture
def strict(rt, totp_clock):
    """Every change needs a TOTP code in the request (step-up window 0)."""
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    client = app.test_client()
    return client, Actors(rt, client, totp_clock)


def test_a_loosening_change_needs_a_second_person_with_2fa(rt, strict):
    client, actors = strict
    ada, bob = actors.person("ada", "admin"), actors.person("bob", "admin")
    rev = actors.person("rev", "reviewer")
    shown = client.get("/api/v1/rules", headers=ada.headers).get_json()
    assert shown["author"] == "config files" and '"arnaqu*",' in shown["rules"]
    loosened = shown["rules"].replace('"arnaqu*",', "")

    no_code = client.put("/api/v1/rules", json={"rules": loosened}, headers=ada.headers)
    assert no_code.status_code == 401 and no_code.get_json()["error"] == "otp_required"
    put = client.put(
        "/api/v1/rules", json={"rules": loosened, "otp": ada.code()}, headers=ada.headers
    )
    assert put.status_code == 201, put.get_json()
    pending = put.get_json()
    assert pending["status"] == "pending" and not pending["in_force"]
    assert pending["loosening"] == ['rule "banned-terms": arnaqu* removed from terms']
    assert '-    "arnaqu*",' in pending["diff"]
    assert any(r.id == "banned-terms" for r in current_ruleset(rt).rules_for("acme"))

    url = f"/api/v1/rules/versions/{pending['id']}/approve"
    own = client.post(url, json={"otp": ada.code()}, headers=ada.headers)
    assert own.status_code == 403
    assert client.post(url, json={"otp": rev.code()}, headers=rev.headers).status_code == 403
    assert client.post(url, json={}, headers=bob.headers).status_code == 401
    done = client.post(url, json={"otp": bob.code()}, headers=bob.headers)
    assert done.status_code == 200 and done.get_json()["in_force"]
    assert '"arnaqu*",' not in client.get("/api/v1/rules", headers=bob.headers).get_json()["rules"]

    versions = client.get("/api/v1/rules/versions", headers=ada.headers).get_json()["versions"]
    assert [v["status"] for v in versions] == ["applied", "applied"]
    assert versions[0]["decided_by"] == "bob"
    back = client.post(
        f"/api/v1/rules/versions/{versions[1]['id']}/rollback",
        json={"otp": ada.code()},
        headers=ada.headers,
    )
    assert back.status_code == 201 and back.get_json()["status"] == "applied"  # tightens
    assert back.get_json()["rollback_of"] == versions[1]["id"]


def test_the_catalogue_as_csv_and_json(rt, strict):
    client, actors = strict
    ada = actors.person("ada", "admin")
    exported = client.get("/api/v1/catalog?format=csv", headers=ada.headers)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    rows = client.get("/api/v1/catalog", headers=ada.headers).get_json()["products"]
    assert rows and rows[0]["sku"] in text
    added = {"sku": "NEW-1", "name": "Lampe Zephyr", "aliases": ["Zephyr"], "price": "25.00"}
    put = client.put(
        "/api/v1/catalog",
        json={"products": [*rows, added | {"currency": "EUR"}], "otp": ada.code()},
        headers=ada.headers,
    )
    assert put.status_code == 201 and put.get_json()["status"] == "applied", put.get_json()
    cheaper = text.replace(rows[0]["price"], "1.00", 1)
    put = client.put(
        "/api/v1/catalog", json={"csv": cheaper, "otp": ada.code()}, headers=ada.headers
    )
    assert put.get_json()["status"] == "pending"
    assert f'product "{rows[0]["sku"]}"' in put.get_json()["loosening"][0]


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("/api/v1/catalog", {"csv": "sku,name\nA,B\n"}, "catalog", "line 1: missing column"),
        ("/api/v1/rules", {"rules": "[[rules]]\nid = 'x'\nkind = 'nope'\n"}, "rules", "line 2"),
        ("/api/v1/rules", {"rules": 'x = "'}, "rules", "not valid TOML"),
        ("/api/v1/catalog", {}, "csv", "either csv or products"),
        ("/api/v1/rules", {"rules": 7}, "rules", ""),
    ],
)
def test_bad_rules_or_catalogue_are_422_naming_the_field(rt, strict, path, body, field, words):
    client, actors = strict
    ada = actors.person("ada", "admin")
    refused = client.put(path, json=body | {"otp": ada.code()}, headers=ada.headers)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["field"] == field and words in refused.get_json()["message"]


def test_only_admins_change_and_authors_do_not_read(rt, strict):
    client, actors = strict
    sec, ana = actors.person("sec", "security"), actors.person("ana", "author")
    assert client.get("/api/v1/rules", headers=ana.headers).status_code == 403
    assert client.get("/api/v1/rules", headers=sec.headers).status_code == 200
    refused = client.put(
        "/api/v1/rules", json={"rules": "", "otp": sec.code()}, headers=sec.headers
    )
    assert refused.status_code == 403


def test_try_it_counts_what_a_change_would_block_and_flag_without_saving(rt, strict):
    client, actors = strict
    ada = actors.person("ada", "admin")
    make_account(rt, "acme")
    people(rt, ana=("author",))
    clean, blocked = submitted(rt, "ana", CLEAN), submitted(rt, "ana", BLOCKED)
    rules = client.get("/api/v1/rules", headers=ada.headers).get_json()["rules"]
    before = client.post("/api/v1/rules/try", json={}, headers=ada.headers).get_json()
    assert before["would_block"] == 1 and [p["id"] for p in before["posts"]] == [blocked]
    tighter = rules.replace('"arnaqu*",', '"arnaqu*", "collection",')
    tried = client.post("/api/v1/rules/try", json={"rules": tighter}, headers=ada.headers)
    answer = tried.get_json()
    assert tried.status_code == 200 and answer["would_block"] == 2 and answer["would_flag"] == 0
    assert {p["id"] for p in answer["posts"]} == {clean, blocked}
    versions = client.get("/api/v1/rules/versions", headers=ada.headers).get_json()["versions"]
    assert len(versions) == 1  # only the files' import, nothing saved by trying
    bad = client.post("/api/v1/rules/try", json={"rules": "x = ["}, headers=ada.headers)
    assert bad.status_code == 422 and bad.get_json()["field"] == "rules"
