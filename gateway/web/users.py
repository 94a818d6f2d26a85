"""Users and access: who can do what, and the security lead's revoke button.

Security leads and admins see every user and may revoke one (disabled, sessions and tokens
ended, open approvals voided). Admins also add users, change roles and reset 2FA on the same
page. The forms are in ``user_forms.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway.access import caller, current_user, roles_required
from gateway.context import rt, source_address
from gateway.forms import show_error, step_up, step_up_fresh
from gateway.web.user_forms import (
    EnableForm,
    NewUserForm,
    ResetForm,
    RevokeForm,
    RolesForm,
    admin_forms,
    enable_form,
    user_choices,
)
from postgate import policy
from postgate.errors import PostgateError
from postgate.services import enrollment, revocation, users

bp = Blueprint("users", __name__)


def user_rows() -> list[dict[str, Any]]:
    with rt().store.session() as db:
        return [users.user_to_dict(u) for u in users.list_users(db)]


def users_page(status: int = 200, **context: Any) -> ResponseReturnValue:
    """The users page with blank forms, except those passed in (bound, with their errors)."""
    rows = user_rows()
    revoke_form = context.pop("revoke_form", None) or RevokeForm(formdata=None, prefix="revoke")
    revoke_form.username.choices = user_choices(rows, active_only=True, others=True)
    if not revoke_form.username.data and request.args.get("user"):
        revoke_form.username.data = request.args["user"]
    is_admin = current_user().has_role(*policy.ADMINISTER)
    forms = admin_forms(rows, context) if is_admin else {}
    if is_admin:
        forms["enable_form"] = enable_form(rows, context.pop("enable_form", None))
    return render_template(
        "console/users.html",
        users=rows,
        revoke_form=revoke_form,
        is_admin=is_admin,
        step_up_fresh=step_up_fresh(),
        **forms,
        **context,
    ), status


@bp.get("/security/users", endpoint="list")
@roles_required(policy.RUN_CONSOLE)
def users_list() -> ResponseReturnValue:
    return users_page()


@bp.post("/security/users/revoke", endpoint="revoke")
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
    return redirect(url_for("users.list"))


@bp.post("/security/users/new", endpoint="create")
@roles_required(policy.ADMINISTER)
def create_user() -> ResponseReturnValue:
    form = NewUserForm(prefix="new")
    if not form.validate_on_submit():
        return users_page(422, new_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            made = users.create_user(
                rt(),
                db,
                form.username.data,
                form.roles.data,
                actor=caller(db).username,
                source=source_address(),
            )
            name = made.user.username
    except PostgateError as exc:
        show_error(form, exc, {"username": "username", "roles": "roles"})
        return users_page(exc.status, new_form=form)
    first = enrollment.Enrollment(name, made.totp_secret)
    shown = {
        "username": name,
        "password": made.password,
        "secret": first.secret,
        "uri": first.otpauth_uri,
        "qr_svg": first.qr_svg,
    }
    return users_page(201, handover=shown)


@bp.post("/security/users/roles", endpoint="set_roles")
@roles_required(policy.ADMINISTER)
def set_roles() -> ResponseReturnValue:
    form = RolesForm(prefix="roles")
    form.username.choices = user_choices(user_rows())
    if not form.validate_on_submit():
        return users_page(422, roles_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            users.set_roles(
                rt(),
                db,
                form.username.data,
                form.roles.data,
                actor=caller(db).username,
                source=source_address(),
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username", "roles": "roles"})
        return users_page(exc.status, roles_form=form)
    flash(_("The roles of %(user)s are changed.", user=form.username.data), "info")
    return redirect(url_for("users.list"))


@bp.post("/security/users/reset-2fa", endpoint="reset_totp")
@roles_required(policy.ADMINISTER)
def reset_totp() -> ResponseReturnValue:
    form = ResetForm(prefix="reset")
    form.username.choices = user_choices(user_rows(), active_only=True)
    if not form.validate_on_submit():
        return users_page(422, reset_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            fresh = enrollment.reset(
                rt(), db, form.username.data, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username"})
        return users_page(exc.status, reset_form=form)
    shown = {
        "username": fresh.username,
        "password": None,
        "secret": fresh.secret,
        "uri": fresh.otpauth_uri,
        "qr_svg": fresh.qr_svg,
    }
    return users_page(200, handover=shown)


@bp.post("/security/users/enable", endpoint="enable")
@roles_required(policy.ADMINISTER)
def enable_user() -> ResponseReturnValue:
    form = enable_form(user_rows(), EnableForm(prefix="enable"))
    if not form.validate_on_submit():
        return users_page(422, enable_form=form)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            revocation.reinstate_user(
                rt(), db, form.username.data, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username"})
        return users_page(exc.status, enable_form=form)
    flash(_("%(user)s may sign in again.", user=form.username.data), "info")
    return redirect(url_for("users.list"))
