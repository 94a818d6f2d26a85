"""In Chromium: an admin filters the banned terms as she types, then opens the links rule's
form, types a bad domain (shown next to its field), fixes it by removing a blocked domain:
that loosens protection, so the change waits with its reason and diff. On a phone the
page's tables are cards, and a rule form's "Try it" shows its posts as cards too."""

from __future__ import annotations

import re

import pytest

from postgate.services import rule_versions
from postgate.services.checking import current_ruleset
from tests.e2e.axe import assert_accessible, unreachable_tables
from tests.e2e.conftest import login, shot
from tests.postgate.service_people import BLOCKED, FLAGGED, people, submitted

pytestmark = pytest.mark.browser


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


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
WIDE = """() => {
  const clipped = e => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 391
      && !clipped(e))
    .slice(0, 8).map(e => e.tagName + '.' + e.className + ' in #'
      + (e.parentElement.closest('[id]') || {}).id + ' '
      + Math.round(e.getBoundingClientRect().right));
}"""
AS_CARDS = """selector => [...document.querySelectorAll(selector + ' tbody tr')]
  .every(tr => getComputedStyle(tr).display === 'block')"""


def _fits_the_phone(page, where: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{where}: {width} px wide, it scrolls sideways: {page.evaluate(WIDE)}"
    assert_accessible(page, where)
    assert unreachable_tables(page) == [], where


def test_on_a_phone_the_rules_page_tables_are_cards_and_a_trial_fits(stack, browser) -> None:
    """At 390 x 844: versions, the pending change, terms, catalogue and a rule form's trial
    fit the screen as cards, with no axe violation, and the trial's posts are reached with
    the keyboard."""
    rt = stack.rt
    people(rt, ana=("author",))
    blocked = submitted(rt, "ana", BLOCKED)
    flagged = submitted(rt, "ana", FLAGGED)
    with rt.store.transaction() as db:
        rules = rule_versions.current(rt, db).rules
        rule_versions.propose(
            rt, db, rules=rules.replace('"arnaqu*",', ""), actor="bob", note="trop strict"
        )
    ada = stack.actors.create("ada", "admin")
    context = browser.new_context(locale="fr-FR", **PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        login(page, stack, ada)
        page.goto(f"{stack.url}/admin/rules")
        page.wait_for_selector("#pending .loosening li")
        _fits_the_phone(page, "the rules page on a phone")
        for table in ("#catalog table", "#versions table"):
            assert page.evaluate(AS_CARDS, table), f"{table} is not shown as cards"

        page.click("#rule-contact-details summary")
        page.select_option("#rule-contact-details select[name='rule-severity']", "block")
        page.click("#rule-contact-details button[name='try']")
        page.wait_for_selector("#trial table")
        summary = page.inner_text("#trial [role=status]")
        assert "en aurait bloqué 2 et signalé 0" in summary
        assert "Rien n\u2019a été enregistré" in summary
        assert page.evaluate(AS_CARDS, "#trial"), "the trial's posts are not cards"
        _fits_the_phone(page, "a rule form's trial on a phone")
        page.locator("#trial").scroll_into_view_if_needed()
        shot(page, "phone-rules-trial")
        links = [f"/posts/{blocked}", f"/posts/{flagged}"]
        page.focus("#trial .table-scroll")
        reached = []
        for _ in range(6):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("() => document.activeElement.getAttribute('href')"))
        assert set(links) <= set(reached), reached
        page.click(".product-add summary")
        page.click("#rule-schedule summary")
        _fits_the_phone(page, "with the product and windows forms open")
        with rt.store.session() as db:
            assert len(rule_versions.history(db)) == 2  # the files and bob's: nothing tried saved
    finally:
        context.close()
