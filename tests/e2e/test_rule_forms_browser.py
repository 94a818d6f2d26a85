"""In Chromium: an admin filters the banned terms as she types, then opens the links rule's
form, types a bad domain (shown next to its field), fixes it by removing a blocked domain:
that loosens protection, so the change waits with its reason and diff."""

from __future__ import annotations

import re

from postgate.services.checking import current_ruleset
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import login


def blocked_domains(rt) -> tuple[str, ...]:
    rule = next(r for r in current_ruleset(rt).rules_for("acme") if r.id == "links")
    return rule.block  # type: ignore[attr-defined]


def test_the_links_form_refuses_a_bad_domain_and_a_removal_waits(stack, new_page) -> None:
    ada = stack.actors.create("ada", "admin")
    page = new_page()
    login(page, stack, ada)
    page.goto(f"{stack.url}/admin/rules")
    page.fill("#q", "ARNA")  # filtered in the page, no request
    assert page.locator("#terms li:visible").count() == 1
    assert page.inner_text("#terms-filter-status").startswith("1 ")

    page.click("#rule-links summary")
    box = page.locator("#rule-links textarea[name='rule-f-block']")
    box.fill("bit.ly\nnot a domain")
    page.click("#rule-links button[type=submit]")
    page.wait_for_selector("#rule-links[open] .error")
    page.click("#rule-schedule summary")  # the windows as rows
    page.click(".product-add summary")
    assert_accessible(page, "the rules page with forms open and an error")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "the same on a phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert re.search(r"block, (line|ligne) 2", page.inner_text("#rule-links .error"))
    assert (
        page.locator("#rule-links textarea[name='rule-f-block']")
        .input_value()
        .endswith("not a domain")
    )

    page.locator("#rule-links textarea[name='rule-f-block']").fill(
        "bit.ly\ntinyurl.com\ngrabify.link"
    )
    page.click("#rule-links button[type=submit]")
    page.wait_for_selector("#pending .loosening li")
    reasons = page.inner_text("#pending .loosening")
    assert re.search(r"iplogger\.org (removed from|retiré de) block", reasons), reasons
    diff = page.inner_text("#pending pre.diff")
    assert '-block = ["bit.ly"' in diff and '+    "grabify.link",' in diff
    assert "iplogger.org" in blocked_domains(stack.rt)  # still in force until approved
