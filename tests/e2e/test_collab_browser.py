"""In Chromium: an author writes a post with its preview live beside it, saves it as a draft,
sends it to review from its page; the reviewer sees the preview, asks a question in the
comments and rejects it; the author reads who rejected it and why, and edits it with the
same live checks and preview as on the compose page."""

from __future__ import annotations

from postgate.store.models import Post
from tests.e2e.conftest import login

TEXT = "Soldes d'hiver avec @marie@exemple.social : https://www.exemple.fr/soldes"


def follow(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def status_of(stack, text: str) -> tuple[int, str]:
    with stack.rt.store.session() as db:
        post = db.query(Post).filter(Post.text == text).one()
        return post.id, post.status


def test_draft_submit_review_comments_and_live_preview(stack, new_page) -> None:
    author = new_page()
    login(author, stack, stack.people["alice"])
    author.goto(f"{stack.url}/compose")
    author.check("input[name=accounts][value=acme]")
    author.fill("#text", TEXT)
    # The preview arrives from the server as the author types: mention, link card, counter.
    author.wait_for_selector("#live-preview .platform-preview .link-domain")
    assert author.inner_text("#live-preview .link-domain") == "exemple.fr"
    assert author.inner_text("#live-preview .mention") == "@marie@exemple.social"
    author.fill("#text", TEXT + " " + "x" * 500)
    author.wait_for_selector("#live-preview .platform-preview.is-cut del.cut")
    author.fill("#text", TEXT)
    author.wait_for_selector("#live-preview .platform-preview:not(.is-cut)")

    follow(author, "button.save-draft")
    post_id, status = status_of(stack, TEXT)
    assert status == "draft" and author.url.endswith(f"/posts/{post_id}")
    assert author.locator(".badge-draft").count() == 1
    follow(author, "form.submit-draft button[type=submit]")
    assert status_of(stack, TEXT)[1] == "pending_review"

    reviewer = new_page()
    login(reviewer, stack, stack.people["bruno"])
    reviewer.goto(f"{stack.url}/review/{post_id}")
    assert reviewer.locator(".previews .platform-preview .link-domain").count() == 1
    reviewer.fill("#comment-body", "Quelle date de fin ?")
    follow(reviewer, "#comment-form button[type=submit]")
    assert "Quelle date de fin ?" in reviewer.inner_text("#comments")
    reviewer.fill("#reject-form #reason", "Il manque la date de fin")
    follow(reviewer, "#reject-form button[type=submit]")

    author.goto(f"{stack.url}/posts/{post_id}")
    rejection = author.inner_text("#rejection")
    assert "Refusée par bruno" in rejection and "Il manque la date de fin" in rejection
    assert "Quelle date de fin ?" in author.inner_text("#comments")

    # The edit page checks and previews as the compose page does.
    author.goto(f"{stack.url}/posts/{post_id}/edit")
    author.wait_for_selector("#live-results .live-account")
    author.fill("#text", "Quelle arnaque, fin le 31 janvier")
    author.wait_for_selector("#live-results .live-account.is-blocked .finding.sev-block")
    author.fill("#text", "Soldes jusqu'au 31 janvier sur https://boutique.exemple.fr")
    author.wait_for_selector("#live-preview .link-domain >> text=boutique.exemple.fr")
    follow(author, "#edit-form button.primary")
    assert status_of(stack, "Soldes jusqu'au 31 janvier sur https://boutique.exemple.fr")[1] == (
        "pending_review"
    )
