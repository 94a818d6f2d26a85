"""In Chromium: an author opens the team calendar, follows "+N more" from a busy day of the
month to the day itself, then drags one of her posts to another day and hour: the page says
the move sends the post back to review, a cancel changes nothing, a confirm moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from postgate.services.accounts import add_account
from postgate.store.models import AuditEntry, Post
from tests.e2e.axe import assert_accessible
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


def _post_at(stack, post_id: int) -> tuple[datetime, str, int]:
    with stack.rt.store.session() as db:
        post = db.get(Post, post_id)
        return post.scheduled_at.replace(tzinfo=UTC), post.status, post.revision


def _tab_to(page, selector: str, limit: int = 150) -> int:
    """Press Tab until ``selector`` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} is not reached with Tab in {limit} presses")


def _focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.closest('[data-post]') ? e.closest('[data-post]').dataset.post + ' ' : '')"
        " + e.tagName + '#' + e.id + '.' + e.className; }"
    )


def test_an_author_moves_a_post_with_the_keyboard_only(stack, new_page) -> None:
    """Tab to the post's "Move…", Enter: the dialog takes the focus, says the post goes back
    to review; Escape gives the focus back and changes nothing; then the new date and time
    are typed and Enter confirms: the post is at the new time, in review, its control focused."""
    add_rows(stack.rt, "acme", "alice", MONDAY_9_PARIS, 3, status="scheduled")
    with stack.rt.store.session() as db:
        post_id = db.scalar(select(Post.id).order_by(Post.scheduled_at, Post.id).limit(1))
    page = new_page()
    login(page, stack, stack.people["alice"])
    page.goto(f"{stack.url}/calendar?start=2030-12-23")
    control = f"li[data-post='{post_id}'] .cal-reschedule"
    assert page.get_attribute(control, "role") == "button"
    _tab_to(page, control)
    page.keyboard.press("Enter")
    dialog = page.locator("#move-dialog")
    assert dialog.is_visible()
    assert page.evaluate("() => document.activeElement.id") == "move-when"  # the dialog has it
    assert page.input_value("#move-when") == "2030-12-23T09:00"  # on the calendar's clock
    assert "repart en relecture" in dialog.inner_text()
    assert "Choisissez la nouvelle date" in page.inner_text("#move-question")
    assert_accessible(page, "the calendar with the move dialog open")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert _focused(page).startswith(f"{post_id} A#."), _focused(page)  # back on its control
    assert _post_at(stack, post_id)[2] == 1  # cancelled: nothing changed

    page.keyboard.press("Space")  # a button: Space opens it as Enter does
    assert dialog.is_visible()
    # Typed segment by segment; the day and the month are both 12, so the field's order
    # (day/month or month/day, which follows the browser's language) does not matter.
    page.keyboard.type("12122030")
    page.keyboard.press("Tab")  # from the year to the hours
    page.keyboard.type("1415")
    assert page.input_value("#move-when") == "2030-12-12T14:15"
    assert "jeudi 12 décembre 2030 à 14:15" in page.inner_text("#move-question")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the dialog's form
    assert "start=2030-12-12" in page.url  # another week: the calendar follows the post
    when, status, revision = _post_at(stack, post_id)
    assert when == datetime(2030, 12, 12, 13, 15, tzinfo=UTC)  # 14:15 in Paris
    assert status == "pending_review" and revision == 2
    assert "repart en relecture" in page.inner_text(".flashes")
    cell = "td[data-drop-day='2030-12-12'][data-drop-hour='14']"
    assert page.locator(f"{cell} li[data-post='{post_id}']").count() == 1
    page.wait_for_function(f'() => document.activeElement.matches("{control}")')


def test_the_move_dialog_refuses_a_time_in_the_past_at_its_field(stack, new_page) -> None:
    add_rows(stack.rt, "acme", "alice", MONDAY_9_PARIS, 1)
    with stack.rt.store.session() as db:
        post_id = db.scalar(select(Post.id))
    page = new_page()
    login(page, stack, stack.people["alice"])
    page.goto(f"{stack.url}/calendar?start=2030-12-23")
    page.click(f"li[data-post='{post_id}'] .cal-reschedule")
    page.fill("#move-when", "2020-01-06T10:00")
    page.click("#move-confirm")
    page.wait_for_selector("#move-when-error:not([hidden])")
    assert page.get_attribute("#move-when", "aria-invalid") == "true"
    assert page.evaluate("() => document.activeElement.id") == "move-when"
    assert_accessible(page, "the move dialog with its error")
    assert _post_at(stack, post_id)[2] == 1


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _fits_the_screen(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide: it scrolls sideways"


def test_on_a_phone_a_post_is_moved_by_tapping(stack, browser) -> None:
    """At 390 x 844 with touch: the month and the week fit the screen (the hour grid scrolls
    inside its own box), "Move…" is big enough for a finger, and tapping it, then the
    confirm button, moves the post back to review."""
    add_rows(stack.rt, "acme", "alice", MONDAY_9_PARIS, 4, status="scheduled")
    with stack.rt.store.session() as db:
        post_id = db.scalar(select(Post.id).order_by(Post.scheduled_at, Post.id).limit(1))
    context = browser.new_context(locale="fr-FR", **PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        login(page, stack, stack.people["alice"])
        page.goto(f"{stack.url}/calendar?view=month&start=2030-12-01")
        _fits_the_screen(page)
        assert_accessible(page)
        page.goto(f"{stack.url}/calendar?start=2030-12-23")
        _fits_the_screen(page)
        control = page.locator(f"li[data-post='{post_id}'] .cal-reschedule")
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, box
        shot(page, "phone-calendar-week")
        control.tap()
        dialog = page.locator("#move-dialog")
        assert dialog.is_visible() and "repart en relecture" in dialog.inner_text()
        _fits_the_screen(page)
        assert_accessible(page, "the move dialog on a phone")
        shot(page, "phone-calendar-move")
        page.fill("#move-when", "2030-12-27T10:30")  # the phone's own date and time picker
        assert "vendredi 27 décembre 2030 à 10:30" in page.inner_text("#move-question")
        with page.expect_navigation():
            page.tap("#move-confirm")
        when, status, revision = _post_at(stack, post_id)
        assert when == datetime(2030, 12, 27, 9, 30, tzinfo=UTC)
        assert status == "pending_review" and revision == 2
        assert page.locator(f"td[data-drop-day='2030-12-27'] li[data-post='{post_id}']").count()
        _fits_the_screen(page)
        page.goto(f"{stack.url}/calendar/move/{post_id}?timezone=Europe/Paris")  # without JS
        _fits_the_screen(page)
        assert_accessible(page)
    finally:
        context.close()


def test_without_javascript_the_move_link_leads_to_a_form_that_moves(stack, browser) -> None:
    add_rows(stack.rt, "acme", "alice", MONDAY_9_PARIS, 2, status="scheduled")
    with stack.rt.store.session() as db:
        post_id = db.scalar(select(Post.id).order_by(Post.scheduled_at, Post.id).limit(1))
    context = browser.new_context(locale="fr-FR", java_script_enabled=False, **PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        login(page, stack, stack.people["alice"])
        page.goto(f"{stack.url}/calendar?view=month&start=2030-12-01")
        with page.expect_navigation():
            page.tap(f"li[data-post='{post_id}'] .cal-reschedule")
        assert f"/calendar/move/{post_id}" in page.url
        assert "repart en relecture" in page.inner_text("main")
        assert page.input_value("#scheduled_at") == "2030-12-23T09:00"
        _fits_the_screen(page)
        shot(page, "phone-calendar-move-page")
        page.fill("#scheduled_at", "2030-12-24T16:00")
        with page.expect_navigation():
            page.tap("form[action^='/calendar/move/'] button[type=submit]")
        assert "view=month" in page.url and "start=2030-12-24" in page.url
        assert "repart en relecture" in page.inner_text(".flashes")
        when, status, _revision = _post_at(stack, post_id)
        assert when == datetime(2030, 12, 24, 15, tzinfo=UTC) and status == "pending_review"
    finally:
        context.close()
