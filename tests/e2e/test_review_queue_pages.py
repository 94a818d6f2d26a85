"""In Chromium: a reviewer pages through a review queue of 120 posts and rejects two of
the second page's posts at once, with one reason."""

from __future__ import annotations

from sqlalchemy import select

from postgate.store.models import AuditEntry, Post
from tests.e2e.conftest import login
from tests.post_rows import add_posts


def follow(page, selector: str) -> None:
    """Click and wait for the page it leads to, so the next step reads the new page."""
    with page.expect_navigation():
        page.click(selector)


def test_reviewer_pages_the_queue_and_rejects_two_at_once(stack, new_page) -> None:
    add_posts(stack.rt, 120, authors=["alice"], accounts=["acme"], statuses=("pending_review",))
    page = new_page()
    login(page, stack, stack.people["bruno"])
    page.goto(f"{stack.url}/review")
    boxes = page.locator("input[name=posts]")
    assert boxes.count() == 50
    first_page = boxes.first.get_attribute("value")
    follow(page, "a[rel=next]")
    assert boxes.count() == 50 and boxes.first.get_attribute("value") != first_page
    chosen = [int(boxes.nth(i).get_attribute("value") or 0) for i in (0, 3)]
    for post_id in chosen:
        page.check(f"#select-{post_id}")
    page.fill("#bulk-reject #reason", "Hors charte")
    follow(page, "#bulk-reject button[type=submit]")
    assert "2 publications refusées" in page.inner_text(".flashes")
    assert page.locator("input[name=posts]").count() == 50  # back on the queue, 118 left
    with stack.rt.store.session() as db:
        assert {(db.get(Post, i).status, db.get(Post, i).reason) for i in chosen} == {
            ("rejected", "Hors charte")
        }
        audited = db.scalars(select(AuditEntry.target).where(AuditEntry.action == "post:reject"))
        assert sorted(audited) == sorted(f"post:{i}" for i in chosen)
    follow(page, "a[rel=next]")
    follow(page, "a[rel=next]")
    assert page.locator("input[name=posts]").count() == 18
    assert page.locator("a[rel=next]").count() == 0 and page.locator("a[rel=prev]").count() == 1
