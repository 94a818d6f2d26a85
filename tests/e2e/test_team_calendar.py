"""In Chromium: an author opens the team calendar, follows "+N more" from a busy day of the
month to the day itself, then drags one of her posts to another day and hour: the page says
the move sends the post back to review, a cancel changes nothing, a confirm moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from postgate.services.accounts import add_account
from postgate.store.models import AuditEntry, Post
from tests.e2e.conftest import login, shot
from tests.gateway.test_web_team_calendar import add_rows

MONDAY_9_PARIS = datetime(2030, 12, 23, 8, tzinfo=UTC)


def drag(page, source: str, target: str) -> None:
    """Drag with the mouse, both ends on screen first: Chromium starts a drag on the first
    move after the press, so a scroll on the way would drag whatever is under the pointer."""
    page.locator(".tcal-scroll").evaluate(
        """grid => { grid.scrollIntoView(); const head = grid.querySelector("thead");
        grid.scrollTop = document.getElementById("h-9").offsetTop - head.offsetHeight; }"""
    )
    start, end = page.locator(source).bounding_box(), page.locator(target).bounding_box()
    assert start and end and end["y"] + end["height"] / 2 < page.viewport_size["height"]
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 8)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()


def test_an_author_follows_more_and_drags_a_post_back_to_review(stack, new_page) -> None:
    with stack.rt.store.transaction() as db:
        add_account(stack.rt, db, "beta", "sandbox", timezone="Europe/Paris", actor="test")
    add_rows(stack.rt, "acme", "alice", MONDAY_9_PARIS, 30)  # 09:00 to 18:40 in Paris
    add_rows(stack.rt, "beta", "alice", MONDAY_9_PARIS + timedelta(days=1), 4)
    with stack.rt.store.session() as db:
        first = db.scalar(select(Post).order_by(Post.scheduled_at, Post.id).limit(1))
        post_id = first.id
    page = new_page()
    login(page, stack, stack.people["alice"])

    page.goto(f"{stack.url}/calendar?view=month&start=2030-12-01")
    monday = page.locator("li.day[data-drop-day='2030-12-23']")
    page.locator("li.day[data-drop-day='2030-12-16']").evaluate("day => day.scrollIntoView()")
    shot(page, "calendar-team")
    assert monday.locator(".cal-entry").count() == 3
    assert page.locator("li.day[data-drop-day='2030-12-24'] .cal-entry").count() == 3
    with page.expect_navigation():
        monday.locator("a.cal-more", has_text="+27 autres").click()
    assert "view=day" in page.url and page.locator(".cal-entry").count() == 30

    page.goto(f"{stack.url}/calendar?start=2030-12-23")
    assert page.locator(".tcal-scroll").evaluate("grid => grid.scrollTop") > 0  # at 09:00
    shot(page, "calendar-week")
    source = f"li[data-post='{post_id}']"
    target = "td[data-drop-day='2030-12-25'][data-drop-hour='11']"
    drag(page, source, target)
    dialog = page.locator("#move-dialog")
    assert dialog.is_visible()
    assert "repart en relecture" in dialog.inner_text()
    shot(page, "calendar-move")
    assert "mercredi 25 décembre 2030 à 11:00" in page.inner_text("#move-question")
    assert "scheduled_at=2030-12-25T11%3A00" in (page.get_attribute("#move-edit", "href") or "")
    page.click("#move-cancel")
    assert not dialog.is_visible()
    with stack.rt.store.session() as db:
        assert db.get(Post, post_id).revision == 1  # cancelled: nothing changed

    drag(page, source, target)
    with page.expect_navigation():
        page.click("#move-confirm")
    assert "repart en relecture" in page.inner_text(".flashes")
    assert page.locator(f"{target} {source}").count() == 1
    with stack.rt.store.session() as db:
        moved = db.get(Post, post_id)
        assert moved.scheduled_at.replace(tzinfo=UTC) == datetime(2030, 12, 25, 10, tzinfo=UTC)
        assert moved.status == "pending_review" and moved.revision == 2
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "post:edit")).all()
        assert [(e.actor, e.target) for e in audited] == [("alice", f"post:{post_id}")]
