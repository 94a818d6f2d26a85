"""On a phone (390 x 844, touch): the author writes with the findings between the text and the
send button; the reviewer opens the menu from the keyboard, reads the queue as cards, fails
an approval (its error comes into view, focused), then approves; the security lead freezes
publishing. axe checks each page on the way. Without JavaScript the menu still opens."""

from __future__ import annotations

from typing import Any

import pytest

from postgate.store.models import Post
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TEXT = "Nouvelle collection en boutique ! Questions : jo@example.org"


@pytest.fixture
def phone(browser: Any):
    contexts = []

    def make(**options: Any) -> Any:
        context = browser.new_context(locale="fr-FR", **PHONE, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def _fits_the_screen(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide: it scrolls sideways"


def _open_menu_with_the_keyboard(page: Any) -> None:
    assert not page.is_visible("nav.main-nav")  # folded away behind "Menu"
    assert page.is_visible("label.menu-button")
    page.focus("#menu-toggle")
    page.keyboard.press("Space")
    assert page.is_visible("nav.main-nav")


def _post_id(stack, text: str) -> int:
    with stack.rt.store.session() as db:
        return db.query(Post).filter(Post.text == text).one().id


def test_reviewer_approves_and_the_lead_freezes_on_a_phone(stack, phone) -> None:
    author = phone()
    login(author, stack, stack.people["alice"])
    assert_accessible(author)
    _open_menu_with_the_keyboard(author)
    author.click("nav.main-nav a[href='/compose']")
    author.wait_for_url(f"{stack.url}/compose")
    author.check("input[name=accounts][value=acme]")
    author.fill("#text", TEXT)
    author.wait_for_selector(".live-account .finding.sev-flag")
    text, findings = _box(author, "#text"), _box(author, ".live-account .finding")
    send = _box(author, "#compose-form button[type=submit]")
    assert text["y"] + text["height"] <= findings["y"] < send["y"], (text, findings, send)
    _fits_the_screen(author)
    assert_accessible(author)
    shot(author, "phone-compose")
    author.click("#compose-form button[type=submit]")
    author.wait_for_url(f"{stack.url}/posts/*")
    post_id = _post_id(stack, TEXT)

    reviewer = phone()
    login(reviewer, stack, stack.people["bruno"])
    _open_menu_with_the_keyboard(reviewer)
    assert_accessible(reviewer)  # with the menu open
    shot(reviewer, "phone-menu")
    reviewer.click("nav.main-nav a[href='/review']")
    reviewer.wait_for_url(f"{stack.url}/review")
    row = reviewer.locator("table.cards tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"  # a card
    labels = row.evaluate(  # each cell says its column's name
        "tr => [...tr.cells].map(c => getComputedStyle(c, '::before').content)"
    )
    assert '"Compte"' in labels and '"Auteur"' in labels, labels
    _fits_the_screen(reviewer)
    assert_accessible(reviewer)
    shot(reviewer, "phone-review-queue")
    reviewer.click(f"a[href='/review/{post_id}']")
    reviewer.wait_for_url(f"{stack.url}/review/{post_id}")
    reviewer.check("input[name=acknowledge][value=contact-details]")
    reviewer.fill("#otp", "000000")  # a wrong code: the approval fails
    reviewer.click("#approve-form button[type=submit]")
    reviewer.wait_for_selector("#approve-form .error")
    focused = reviewer.evaluate(
        """() => { const e = document.activeElement, r = e.getBoundingClientRect();
                   return {error: e.matches('#approve-form .error'), top: r.top,
                           bottom: r.bottom, height: innerHeight}; }"""
    )
    assert focused["error"], "the error is not focused"
    assert 0 <= focused["top"] and focused["bottom"] <= focused["height"], focused
    _fits_the_screen(reviewer)
    assert_accessible(reviewer)
    shot(reviewer, "phone-approval-failed")
    reviewer.check("input[name=acknowledge][value=contact-details]")
    reviewer.fill("#otp", stack.people["bruno"].code())
    reviewer.click("#approve-form button[type=submit]")
    reviewer.wait_for_url(f"{stack.url}/review")
    with stack.rt.store.session() as db:
        post = db.get(Post, post_id)  # approved: due at once, a worker may already hold it
        assert post.status in ("scheduled", "publishing", "published") and post.approvals

    lead = phone()
    sam = stack.actors.create("sam", "security")
    login(lead, stack, sam)
    _open_menu_with_the_keyboard(lead)
    lead.click("nav.main-nav a[href='/security']")
    lead.wait_for_url(f"{stack.url}/security")
    _fits_the_screen(lead)
    assert_accessible(lead)
    freeze = "form[action='/security/freeze']"
    lead.fill(f"{freeze} textarea[name=reason]", "Compte compromis, on arrête tout")
    if lead.locator(f"{freeze} input[name=otp]").count():
        lead.fill(f"{freeze} input[name=otp]", sam.code())
    lead.click(f"{freeze} button[type=submit]")
    lead.wait_for_selector(".state-frozen")
    assert "Compte compromis" in lead.inner_text(".freeze-list")
    _fits_the_screen(lead)
    assert_accessible(lead)
    shot(lead, "phone-freeze")

    # Without JavaScript the menu still opens: a tap on its label.
    bare = phone(java_script_enabled=False)
    login(bare, stack, sam)
    assert not bare.is_visible("nav.main-nav")
    bare.click("label.menu-button")
    bare.click("nav.main-nav a[href='/calendar']")
    bare.wait_for_url(f"{stack.url}/calendar*")
