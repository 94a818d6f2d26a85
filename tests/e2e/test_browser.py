"""End to end in Chromium: an author submits, a reviewer approves with TOTP, the sandbox
platform shows the post at its time; and an author can never approve their own post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from postgate.store.models import Post
from sandbox import client as sandbox
from tests.e2e.conftest import login, shot
from tests.helpers import wait_until

pytestmark = pytest.mark.browser

TEXT = "Nouvelle collection en boutique ! Questions : jo@example.org"


def _compose(page, stack, text: str, seconds: float, flagged: bool = True) -> datetime:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    # typed on the author's clock: the organisation's, as alice chose none
    local = when.astimezone(ZoneInfo(stack.rt.settings.timezone)).strftime("%Y-%m-%dT%H:%M:%S")
    page.goto(f"{stack.url}/compose")
    page.check("input[name=accounts][value=acme]")
    page.fill("#text", text)
    page.fill("#scheduled_at", local)
    if flagged:  # the findings arrive as the author types, from the server-side check
        page.wait_for_selector(".live-account .finding.sev-flag")
        page.wait_for_selector(".live-account mark.sev-flag")
    else:
        page.wait_for_selector(".live-account .ok-text")
    return when


def _post_id(stack, text: str) -> int:
    with stack.rt.store.session() as db:
        return db.query(Post).filter(Post.text == text).one().id


def _post(stack, post_id: int) -> Post:
    with stack.rt.store.session() as db:
        post = db.get(Post, post_id)
        db.expunge(post)
        return post


def test_author_submits_reviewer_approves_and_the_post_goes_out(stack, new_page) -> None:
    author = new_page()
    login(author, stack, stack.people["alice"], screenshot="login")
    # Due soon, so that the test sees it go out; far enough for the review page to be the
    # usual one on a busy machine (a post whose time has passed asks "publish now?").
    _compose(author, stack, TEXT, seconds=30)
    assert "/ 500" in author.inner_text(".counter")
    shot(author, "compose")
    author.click("#compose-form button[type=submit]")
    author.wait_for_url(f"{stack.url}/posts/*")
    post_id = _post_id(stack, TEXT)
    author.goto(f"{stack.url}/posts")
    assert author.locator(".badge-pending_review").count() == 1
    shot(author, "my-posts")

    reviewer = new_page()
    login(reviewer, stack, stack.people["bruno"])
    reviewer.goto(f"{stack.url}/review")
    reviewer.click(f"a[href='/review/{post_id}']")
    assert reviewer.locator("mark.sev-flag").count() == 1
    reviewer.check("input[name=acknowledge][value=contact-details]")
    if reviewer.locator("#late").count():  # the machine was slower than the 30 s
        reviewer.check("input[name=late][value=now]")
    reviewer.fill("#otp", stack.people["bruno"].code())
    shot(reviewer, "review")
    reviewer.click("#approve-form button[type=submit]")
    reviewer.wait_for_url(f"{stack.url}/review")
    reviewer.goto(f"{stack.url}/calendar?account=acme")
    assert reviewer.locator(f".cal-post a[href='/posts/{post_id}']").count() == 1
    shot(reviewer, "calendar")

    wait_until(
        lambda: [p for p in sandbox.list_live(stack.sandbox_url, "acme") if p["text"] == TEXT],
        60,
        "the post to appear on the sandbox platform",
        step=0.25,
    )
    # The platform holds the status a moment before the worker records it: wait for both.
    post = wait_until(
        lambda: (found := _post(stack, post_id)).status != "publishing" and found,
        20,
        "the worker to record the publication",
    )
    assert post.status == "published" and post.published_at >= post.scheduled_at


def test_author_sees_no_approve_button_and_a_forged_approval_is_refused(stack, new_page) -> None:
    dana = stack.people["dana"]  # author and reviewer: the role alone must not let her approve
    page = new_page()
    login(page, stack, dana)
    _compose(page, stack, "Mon propre message", seconds=600, flagged=False)
    page.click("#compose-form button[type=submit]")
    page.wait_for_url(f"{stack.url}/posts/*")
    post_id = _post_id(stack, "Mon propre message")
    page.goto(f"{stack.url}/review/{post_id}")
    assert page.locator("#approve-form").count() == 0
    assert page.locator(f"form[action='/review/{post_id}/approve']").count() == 0
    token = page.get_attribute("meta[name=csrf-token]", "content")
    forged = page.request.post(
        f"{stack.url}/review/{post_id}/approve",
        form={"csrf_token": token, "otp": dana.code(), "acknowledge": "contact-details"},
    )
    assert forged.status == 403
    with stack.rt.store.session() as db:
        post = db.get(Post, post_id)
        assert post.status == "pending_review" and not post.approvals
