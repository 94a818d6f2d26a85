"""In Chromium: an admin removes a banned term, which loosens protection, so it waits; a
second admin sees the change with its diff and approves it; only then is it in force."""

from __future__ import annotations

from postgate.services.checking import current_ruleset
from postgate.store.types import utcnow
from rules import Context, Draft
from tests.e2e.conftest import login


def banned(rt, text: str) -> bool:
    draft = Draft(text=text, account="acme", platform="sandbox")
    found = current_ruleset(rt).evaluate(draft, Context(now=utcnow())).findings
    return any(f.rule == "banned-terms" for f in found)


def test_a_removed_term_takes_effect_after_a_second_admin_approves(stack, new_page) -> None:
    ada, bob = stack.actors.create("ada", "admin"), stack.actors.create("bob", "admin")
    page = new_page()
    login(page, stack, ada)
    page.goto(f"{stack.url}/admin/rules?q=scam")
    assert page.locator("#terms li code", has_text="scam").count() == 1
    page.click("form[action='/admin/rules/terms/remove']:has(input[value='scam']) button")
    page.wait_for_selector("#pending .loosening li")
    assert "scam" in page.inner_text("#pending .loosening")
    assert page.locator("#pending form[action$='/approve']").count() == 0  # not its author
    assert banned(stack.rt, "what a scam")

    other = new_page()
    login(other, stack, bob)
    other.goto(f"{stack.url}/admin/rules")
    assert '-    "scam",' in other.inner_text("#pending pre.diff")
    other.click("#pending form[action$='/approve'] button[type=submit] >> nth=0")
    other.wait_for_url(f"{stack.url}/admin/rules#versions")
    assert other.locator("#pending").count() == 0
    assert not banned(stack.rt, "what a scam")
