"""Working together on the pages: submitting a draft, comments on a post, and the live
preview of how a post will look on each platform (compose and edit pages)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from gateway import submitted
from gateway.access import caller, login_required, roles_required
from gateway.context import rt, source_address
from gateway.dispatch import dispatch_after_commit
from gateway.forms import ActionForm, flash_error
from gateway.i18n import error_text
from postgate import policy
from postgate.errors import PostgateError, ValidationFailed
from postgate.services import comments, drafts, posts
from postgate.services.accounts import find_account
from postgate.services.media import attach
from postgate.services.preview import Preview, preview
from postgate.store.models import Post, User

bp = Blueprint("collab", __name__)
MAX_ACCOUNTS = 20


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(message=_l("Write a comment.")),
            Length(max=comments.MAX_COMMENT),
        ],
    )


def variant_texts(form: Any, names: list[str]) -> dict[str, str]:
    """The texts of their own that the compose form gives some accounts (``variant-NAME``)."""
    found = {name: str(form.get(f"variant-{name}") or "") for name in names}
    return {name: text for name, text in found.items() if text.strip()}


def post_previews(post: Post) -> list[Preview]:
    """How a stored post will look on its account's platform (review, edit, post pages)."""
    return [preview(post.account, post.text, post.media or [])]


def _draft_images(db: Session, user: User, account: Any, raw: object) -> list[dict[str, Any]]:
    """The images being composed, the author's own uploads only; none when they cannot be read."""
    if not isinstance(raw, list):
        return []
    entries = [m for m in raw if isinstance(m, dict) and type(m.get("id")) is int]
    try:
        return attach(db, user, account, entries, len(entries))
    except PostgateError:
        return []


@bp.post("/compose/preview", endpoint="preview")
@roles_required(policy.WRITE_POSTS)
def live_preview() -> ResponseReturnValue:
    """The preview of a text being written, per account, as HTML for compose.js; nothing is
    stored. Body: ``{"accounts", "text", "variants"?: {name: text}, "media"?}``."""
    data = request.get_json(silent=True) or {}
    names, text = data.get("accounts") or [], data.get("text") or ""
    variants = data.get("variants") or {}
    if not isinstance(names, list) or not isinstance(text, str) or not isinstance(variants, dict):
        raise ValidationFailed("accounts must be a list and text a string", field="text")
    shown = []
    with rt().store.session() as db:
        user = caller(db)
        for name in [n for n in names if isinstance(n, str)][:MAX_ACCOUNTS]:
            account = find_account(db, name)
            own = variants.get(account.name)
            body = own if isinstance(own, str) and own.strip() else text
            images = _draft_images(db, user, account, data.get("media"))
            shown.append(preview(account, body[: posts.MAX_TEXT], images))
        return render_template("posts/preview_partial.html", previews=shown)


@bp.post("/posts/<int:post_id>/submit", endpoint="submit_draft")
@roles_required(policy.WRITE_POSTS)
def submit_draft(post_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; try again."), "error")
        return redirect(url_for("posts.detail", post_id=post_id))
    try:
        with rt().store.transaction() as db:
            done = drafts.submit_draft(rt(), db, caller(db), post_id, source=source_address())
            shown = submitted.flashes([done])
    except PostgateError as exc:
        flash(_("The draft was not sent: %(error)s", error=error_text(exc)), "error")
        return redirect(url_for("posts.detail", post_id=post_id))
    dispatch_after_commit(done)
    for category, message in shown:
        flash(message, category)
    return redirect(url_for("posts.detail", post_id=post_id))


@bp.post("/posts/<int:post_id>/comments", endpoint="comment")
@login_required
def comment(post_id: int) -> ResponseReturnValue:
    form = CommentForm()
    back = request.form.get("back") == "review"
    target = (
        url_for("review.post", post_id=post_id)
        if back
        else url_for("posts.detail", post_id=post_id)
    )
    if not form.validate_on_submit():
        with rt().store.session() as db:
            posts.visible_post(db, caller(db), post_id)  # 404 for who cannot see it
        flash(" ".join(str(e) for e in form.body.errors) or _("Write a comment."), "error")
        return redirect(target + "#comments")
    try:
        with rt().store.transaction() as db:
            comments.add_comment(
                rt(), db, caller(db), post_id, form.body.data, source=source_address()
            )
    except ValidationFailed as exc:
        flash_error(exc)
        return redirect(target + "#comments")
    flash(_("Comment added."))
    return redirect(target + "#comments")
