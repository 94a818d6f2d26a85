"""Users and access: who can do what, and the security lead's revoke button.

Security leads and admins see every user and may revoke one (disabled, sessions and tokens
ended, open approvals voided). Admins also add users, change roles and reset 2FA on the same
page; those forms post to ``admin_users.py``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from gateway.access import caller, current_user, roles_required, signed_in_user
from gateway.context import rt, source_address
from gateway.forms import choice, otp_field, show_error, step_up, step_up_fresh
from gateway.web import bp
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import revocation, users


class RevokeForm(FlaskForm):
    username = SelectField(_l("User"), validators=[DataRequired(message=_l("Choose a user."))])
    otp = otp_field()


def user_rows() -> list[dict[str, Any]]:
    with rt().store.session() as db:
        return [users.user_to_dict(u) for u in users.list_users(db)]


def user_choices(
    rows: list[dict[str, Any]], *, active_only: bool = False, others: bool = False
) -> list[Any]:
    """A placeholder, then the users (only active ones, only others than the caller)."""
    me = signed_in_user()
    return [choice("", _("Choose a user…"))] + [
        choice(r["username"])
        for r in rows
        if not (active_only and r["disabled"])
        and not (others and me is not None and r["username"] == me.username)
    ]


def users_page(status: int = 200, **context: Any) -> ResponseReturnValue:
    """The users page with blank forms, except those passed in (bound, with their errors)."""
    from gateway.web.admin_users import admin_forms

    rows = user_rows()
    revoke_form = context.pop("revoke_form", None) or RevokeForm(formdata=None, prefix="revoke")
    revoke_form.username.choices = user_choices(rows, active_only=True, others=True)
    if not revoke_form.username.data and request.args.get("user"):
        revoke_form.username.data = request.args["user"]
    is_admin = current_user().has_role(*policy.ADMINISTER)
    forms = admin_forms(rows, context) if is_admin else {}
    return render_template(
        "console/users.html",
        users=rows,
        revoke_form=revoke_form,
        is_admin=is_admin,
        step_up_fresh=step_up_fresh(),
        **forms,
        **context,
    ), status


@bp.get("/security/users", endpoint="users")
@roles_required(policy.RUN_CONSOLE)
def users_list() -> ResponseReturnValue:
    return users_page()


@bp.post("/security/users/revoke", endpoint="revoke_user")
@roles_required(policy.RUN_CONSOLE)
def revoke_user() -> ResponseReturnValue:
    form = RevokeForm(prefix="revoke")
    form.username.choices = user_choices(user_rows(), active_only=True, others=True)
    if not form.validate_on_submit():
        return users_page(422, revoke_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            done = revocation.revoke_user(
                rt(), db, form.username.data, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username"})
        return users_page(exc.status, revoke_form=form)
    flash(
        _(
            "%(user)s is revoked: %(tokens)d sessions or tokens ended, "
            "%(approvals)d approvals voided.",
            user=done.username,
            tokens=done.tokens_ended,
            approvals=done.approvals_voided,
        ),
        "info",
    )
    return redirect(url_for("web.users"))
