"""Users and access: who can do what, and the security lead's revoke button.

Security leads and admins see every user and may revoke one (disabled, sessions and tokens
ended, open approvals voided). Admins also add users, change roles and reset passwords and
2FA on the same page; adding and resetting show an enrolment link to hand over, never a
password or a TOTP secret. The forms are in ``user_forms.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from gateway.access import caller, current_user, roles_required
from gateway.context import rt, source_address
from gateway.forms import (
    ActionForm,
    StepUpForm,
    flash_error,
    show_error,
    step_up,
    step_up_fresh,
)
from gateway.web import list_pages
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
from postgate.errors import PostgateError, ValidationFailed
from postgate.services import duties, other_lists, revocation, users
from postgate.services.enrolment_links import IssuedLink
from postgate.services.listing import DEFAULT_LIMIT
from postgate.store.models import ROLES
from postgate.store.types import utcnow

bp = Blueprint("users", __name__)


def user_rows() -> list[dict[str, Any]]:
    with rt().store.session() as db:
        return [users.user_to_dict(u) for u in users.list_users(db)]


def page_rows() -> tuple[list[dict[str, Any]], list_pages.Links]:
    """The table's page of users, by name, filtered by ``q`` (name contains) and ``role``."""
    text, role = list_pages.arg("q", 64), list_pages.arg("role", 16)
    if role is not None and role not in ROLES:
        raise ValidationFailed("unknown role {value!r}", field="role", value=role)
    filters = {"q": text or "", "role": role or ""}
    at = list_pages.position("users", filters)
    with rt().store.session() as db:
        page = other_lists.page_users(
            db, text=text, role=role, limit=DEFAULT_LIMIT, after=at.after, before=at.before
        )
        rows = [users.user_to_dict(u) for u in page.items]
    return rows, list_pages.links("users", filters, page)


def change_rows() -> list[dict[str, Any]]:
    with rt().store.session() as db:
        return [duties.change_to_dict(c) for c in duties.pending_changes(db)]


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
    changes = change_rows()
    shown, links = page_rows()
    return render_template(
        "console/users.html",
        users=shown,
        links=links,
        roles=ROLES,
        changes=changes,
        now_iso=utcnow().isoformat(),
        change_forms={
            c["id"]: StepUpForm(formdata=None, prefix=f"change{c['id']}") for c in changes
        },
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
            done = duties.invite(
                rt(),
                db,
                form.username.data,
                form.roles.data,
                actor=caller(db).username,
                source=source_address(),
            )
            waiting = done.pending is not None
    except PostgateError as exc:
        show_error(form, exc, {"username": "username", "roles": "roles"})
        return users_page(exc.status, new_form=form)
    assert done.link is not None
    if waiting:
        flash(_("The roles that give power wait for a second admin to confirm them."), "info")
    return users_page(201, handover=shown_link(done.link))


def shown_link(link: IssuedLink) -> dict[str, Any]:
    """An enrolment link for the admin to hand over, shown once."""
    return {
        "username": link.username,
        "purpose": link.purpose,
        "url": url_for("enrol.page", token=link.token, _external=True),
        "expires_at": link.expires_at,
    }


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
            done = duties.change_roles(
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
    if done.pending is not None:
        flash(_("Waiting for a second admin to confirm this change."), "info")
    else:
        flash(_("The roles of %(user)s are changed.", user=form.username.data), "info")
    return redirect(url_for("users.list"))


@bp.post("/security/users/reset-2fa", endpoint="reset_totp")
@roles_required(policy.ADMINISTER)
def reset_totp() -> ResponseReturnValue:
    return _reset("reset", "totp")


@bp.post("/security/users/reset-password", endpoint="reset_password")
@roles_required(policy.ADMINISTER)
def reset_password() -> ResponseReturnValue:
    return _reset("password", "password")


def _reset(prefix: str, kind: str) -> ResponseReturnValue:
    """A reset form sent: the credential stops working and its link is shown once, or the
    reset waits for a second admin."""
    form = ResetForm(prefix=prefix)
    form.username.choices = user_choices(user_rows(), active_only=True)
    if not form.validate_on_submit():
        return users_page(422, **{f"{prefix}_form": form})
    try:
        step_up(form)
        with rt().store.transaction() as db:
            done = duties.reset(
                rt(),
                db,
                kind,
                form.username.data,
                actor=caller(db).username,
                source=source_address(),
            )
    except PostgateError as exc:
        show_error(form, exc, {"username": "username"})
        return users_page(exc.status, **{f"{prefix}_form": form})
    if done.link is None:
        flash(_("Waiting for a second admin to confirm this change."), "info")
        return redirect(url_for("users.list"))
    return users_page(200, handover=shown_link(done.link))


@bp.post("/security/users/changes/<int:change_id>/confirm", endpoint="confirm_change")
@roles_required(policy.ADMINISTER)
def confirm_change(change_id: int) -> ResponseReturnValue:
    form = StepUpForm(prefix=f"change{change_id}")
    if not form.validate_on_submit():
        return users_page(422)
    try:
        step_up(form)
        with rt().store.transaction() as db:
            done = duties.confirm(
                rt(), db, change_id, actor=caller(db).username, source=source_address()
            )
    except PostgateError as exc:
        flash_error(exc)
        return users_page(exc.status)
    flash(_("Confirmed: the change applies."), "info")
    if done.link is not None:
        return users_page(200, handover=shown_link(done.link))
    return redirect(url_for("users.list"))


@bp.post("/security/users/changes/<int:change_id>/cancel", endpoint="cancel_change")
@roles_required(policy.ADMINISTER)
def cancel_change(change_id: int) -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            with rt().store.transaction() as db:
                duties.cancel(
                    rt(), db, change_id, actor=caller(db).username, source=source_address()
                )
        except PostgateError as exc:
            flash_error(exc)
            return users_page(exc.status)
        flash(_("The change is cancelled."), "info")
    return redirect(url_for("users.list"))


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
