"""Crisis statements on the web: marking one (security lead, 2FA, during a freeze) from its
page or from the console's list of posts the freeze holds, and the statement templates the
compose page offers during a freeze.

The same service as ``POST /api/v1/posts/{id}/crisis``: the post goes back to review with its
approvals voided, and once approved it may publish on the frozen account.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from gateway.access import caller, roles_required
from gateway.context import rt, source_address
from gateway.forms import StepUpForm, flash_error, step_up
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import crisis, freezes
from postgate.services.freezes import is_frozen
from postgate.store.models import Post, User

bp = Blueprint("crisis", __name__)


def statement_templates_offered(db: Session) -> list[dict[str, str]]:
    """The statement templates (``config/statements``) the compose page offers: while a
    freeze is in force anywhere, since only a crisis statement can go out then; else none."""
    return crisis.statement_templates(rt()) if freezes.active_freezes(db) else []


def chosen_template(templates: list[dict[str, str]], name: str | None) -> str | None:
    """The text of the template called ``name`` among those offered, or None."""
    return next((t["text"] for t in templates if t["name"] == name), None)


def held_row(post: Post) -> dict[str, Any]:
    """A post the freeze holds, as the console lists it (``console/_held.html``)."""
    return {
        "id": post.id,
        "account": post.account.name,
        "author": post.author.username,
        "text": post.text,
        "submitted_at": post.created_at,
    }


def may_mark_crisis(db: Session, user: User, post: Post) -> bool:
    """Whether the page offers the button; the service checks everything again."""
    return (
        user.has_role(*policy.MARK_CRISIS)
        and not post.crisis_statement
        and post.status in crisis.MARKABLE
        and is_frozen(db, post.account_id)
    )


@bp.post("/posts/<int:post_id>/crisis", endpoint="mark")
@roles_required(policy.MARK_CRISIS)
def mark_crisis(post_id: int) -> ResponseReturnValue:
    form = StepUpForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            crisis.mark_crisis_statement(rt(), db, caller(db), post_id, source=source_address())
    except PostgateError as exc:
        flash_error(exc)
    else:
        flash(
            _(
                "Marked as a crisis statement: it goes back to review and, once approved, "
                "may publish despite the freeze."
            )
        )
    if request.form.get("back") == "console":
        return redirect(url_for("console.index") + "#held")
    return redirect(url_for("posts.detail", post_id=post_id))
