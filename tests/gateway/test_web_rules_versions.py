"""The rules page: terms with search, add and remove (with 2FA), the catalogue as CSV, the
TOML editor with "Try it", a second admin approving a loosening change, and rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway import create_app
from postgate.services.checking import current_ruleset
from rules import Context, Draft
from tests.helpers import Actors, WebActions, make_account
from tests.postgate.service_people import BLOCKED, people, submitted

pytestmark = pytest.mark.store_neutral

NOW = Context(now=datetime(2030, 1, 1, tzinfo=UTC))


def draft(text: str) -> Draft:
    return Draft(text=text, account="acme", platform="sandbox")


@pytest.fixture
def strict(rt, totp_clock):
    app = create_app({"TESTING": True}, settings=rt.settings.with_overrides(step_up_seconds=0))
    return WebActions(app.test_client()), Actors(rt, None, totp_clock)


def banned(rt, text: str) -> bool:
    return any(
        f.rule == "banned-terms" for f in current_ruleset(rt).evaluate(draft(text), NOW).findings
    )


def send(web: WebActions, path: str, prefix: str, **fields: str):
    token = web.csrf("/admin/rules")
    data = {f"{prefix}-csrf_token": token} | {f"{prefix}-{k}": v for k, v in fields.items()}
    return web.client.post(path, data=data, follow_redirects=True)


def test_terms_search_add_and_a_removal_approved_by_a_second_admin(rt, strict):
    web, actors = strict
    ada, bob = actors.create("ada", "admin"), actors.create("bob", "admin")
    web.login(ada)
    page = web.client.get("/admin/rules?q=arna").get_data(as_text=True)
    assert "<code>arnaqu*</code>" in page and "<code>connard</code>" not in page

    refused = send(web, "/admin/rules/terms/add", "add", rule="banned-terms", term="bargain")
    assert "code" in refused.get_data(as_text=True).lower() and not banned(rt, "a bargain")
    added = send(
        web, "/admin/rules/terms/add", "add", rule="banned-terms", term="bargain", otp=ada.code()
    )
    assert "is in force" in added.get_data(as_text=True)
    assert banned(rt, "a bargain")
    shown = web.client.get("/admin/rules").get_data(as_text=True)
    assert "<code>bargain</code>" in shown

    removed = send(
        web, "/admin/rules/terms/remove", "remove", rule="banned-terms", term="scam", otp=ada.code()
    )
    body = removed.get_data(as_text=True)
    assert "loosens protection" in body and "scam removed from terms" in body
    assert "Another admin or the security lead must approve" in body  # not to its author
    assert banned(rt, "a scam")  # still in force until approved
    version_id = int(body.split('id="version-')[1].split('"')[0])

    other = web.another()
    other.login(bob)
    token = other.csrf("/admin/rules")
    url = f"/admin/rules/versions/{version_id}/approve"
    done = other.client.post(
        url,
        data={f"v{version_id}-csrf_token": token, f"v{version_id}-otp": bob.code()},
        follow_redirects=True,
    )
    assert "the version is in force" in done.get_data(as_text=True)
    assert "Changes waiting for approval" not in done.get_data(as_text=True)
    assert not banned(rt, "a scam") and banned(rt, "a bargain")


def test_catalogue_export_import_and_errors_naming_row_and_column(rt, strict):
    web, actors = strict
    ada = actors.create("ada", "admin")
    web.login(ada)
    exported = web.client.get("/admin/rules/catalog.csv")
    assert exported.mimetype == "text/csv" and "AUR-100" in exported.get_data(as_text=True)
    bad = exported.get_data(as_text=True) + "NEW-1,Lampe,,12,5,EUR,,,\n"
    refused = send(web, "/admin/rules/catalog", "catalog", csv=bad, otp=ada.code())
    assert refused.status_code == 422
    assert "column" in refused.get_data(as_text=True)
    good = exported.get_data(as_text=True) + "NEW-1,Lampe Zephyr,,12.50,EUR,,,\n"
    done = send(web, "/admin/rules/catalog", "catalog", csv=good, otp=ada.code())
    assert "is in force" in done.get_data(as_text=True) and "Lampe Zephyr" in done.get_data(
        as_text=True
    )


def test_try_it_and_a_bad_toml_named_on_the_page(rt, strict):
    web, actors = strict
    ada = actors.create("ada", "admin")
    make_account(rt, "acme")
    people(rt, ana=("author",))
    submitted(rt, "ana", BLOCKED)
    web.login(ada)
    rules = rt.settings.rules_path.read_text()
    token = web.csrf("/admin/rules")
    tried = web.client.post(
        "/admin/rules/text",
        data={"text-csrf_token": token, "text-rules": rules, "try": "1"},
    )
    assert "would have blocked 1 and flagged 0" in tried.get_data(as_text=True)
    broken = web.client.post(
        "/admin/rules/text",
        data={
            "text-csrf_token": token,
            "text-rules": rules + "\n[[rules]]\nid = 'z'\n",
            "text-otp": ada.code(),
        },
    )
    assert broken.status_code == 422 and "key &#39;kind&#39;" in broken.get_data(as_text=True)


def test_the_security_lead_approves_an_admins_loosening_change_on_their_page(rt, strict):
    web, actors = strict
    ada, sec = actors.create("ada", "admin"), actors.create("sec", "security")
    web.login(ada)
    send(
        web, "/admin/rules/terms/remove", "remove", rule="banned-terms", term="scam", otp=ada.code()
    )
    lead = web.another()
    lead.login(sec)
    assert lead.client.get("/admin/rules").status_code == 403
    page = lead.client.get("/security/rules").get_data(as_text=True)
    assert "scam removed from terms" in page and "/admin/rules/terms/add" not in page
    version_id = int(page.split('id="version-')[1].split('"')[0])
    token = lead.csrf("/security/rules")
    done = lead.client.post(
        f"/admin/rules/versions/{version_id}/approve",
        data={f"v{version_id}-csrf_token": token, f"v{version_id}-otp": sec.code()},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "the version is in force" in done.get_data(as_text=True)
    assert not banned(rt, "a scam")


def test_a_rule_as_a_structured_form_raising_and_lowering_its_severity(rt, strict):
    web, actors = strict
    ada = actors.create("ada", "admin")
    web.login(ada)
    page = web.client.get("/admin/rules").get_data(as_text=True)
    assert 'name="rule-f-allow"' in page and 'name="rule-severity"' in page
    raised = send(
        web, "/admin/rules/rule", "rule", rule="absolute-claims", severity="block", otp=ada.code()
    )
    assert "is in force" in raised.get_data(as_text=True)
    flagged = current_ruleset(rt).evaluate(draft("le moins cher du marché"), NOW).findings
    assert [f.severity for f in flagged if f.rule == "absolute-claims"] == ["block"]
    lowered = send(web, "/admin/rules/rule", "rule", rule="links", severity="flag", otp=ada.code())
    assert "links&#34; lowered from block to flag" in lowered.get_data(as_text=True)
    token = web.csrf("/admin/rules")
    shrunk = web.client.post(
        "/admin/rules/rule",
        data={
            "rule-csrf_token": token,
            "rule-rule": "links",
            "rule-severity": "block",
            "rule-f-allow": "acme.fr\nacme.com\nacme-group.eu\nyoutube.com\n"
            "linkedin.com\nexample.org",
            "rule-f-block": "bit.ly\ntinyurl.com\ngrabify.link\niplogger.org",
            "rule-otp": ada.code(),
        },
        follow_redirects=True,
    )
    assert "example.org added to allow" in shrunk.get_data(as_text=True)
