"""``/api/v1`` endpoints for users, their roles and their 2FA.

The role is checked before the step-up, so a caller lacking it gets 403 whatever the code.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import url_for
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from gateway import cursors
from gateway.access import caller, current_token, current_user
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.paging import PageQuery
from gateway.api.types import (
    Body,
    Limited,
    Otp,
    SteppedUp,
    Text,
    code_of,
    column_length,
    one_of,
)
from gateway.context import rt, source_address
from postgate import passwords, policy
from postgate.errors import ValidationFailed
from postgate.services import (
    duties,
    enrollment,
    other_lists,
    password_change,
    recovery_codes,
    revocation,
    users,
)
from postgate.services.enrolment_links import IssuedLink
from postgate.services.names import canonical_name
from postgate.services.user_zone import zone_of
from postgate.store.models import ROLES, User

bp = ApiBlueprint("users", __name__, tag="users")

Roles = Annotated[
    list[Text],
    ValidationFailed("roles must be a list of strings", field="roles"),
    Field(description="Some of author, reviewer, security, admin."),
]


class NewUserRequest(SteppedUp):
    """The person chooses their own password through the enrolment link in the answer; a
    ``password`` field is no longer read."""

    username: Limited(column_length(User.username))  # type: ignore[valid-type]
    roles: Roles


class RolesRequest(SteppedUp):
    roles: Roles


class Confirmation(Body):
    otp: Otp | None = None


class UserFilter(PageQuery):
    q: Limited(column_length(User.username)) | None = Field(  # type: ignore[valid-type]
        default=None, description="Users whose name contains this."
    )
    role: one_of(ROLES) | None = None  # type: ignore[valid-type]


@bp.operation(
    "GET", "/users", query=UserFilter, roles=policy.RUN_CONSOLE, answers={200: answers.UserList}
)
def list_users(query: UserFilter) -> dict[str, Any]:
    """Users by name, a to z; follow `next` for more."""
    filters = {"q": canonical_name(query.q), "role": query.role or ""}
    at = cursors.read(query.cursor, "users", filters)
    with rt().store.session() as db:
        page = other_lists.page_users(
            db, text=query.q, role=query.role, limit=query.limit, after=at.after
        )
        shown = [users.user_to_dict(u) for u in page.items]
    return {"users": shown, "next": cursors.make("users", filters, after=page.next_after)}


@bp.operation(
    "POST",
    "/users",
    body=NewUserRequest,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={201: answers.NewUser},
    errors=(409,),
)
def create_user(body: NewUserRequest) -> tuple[dict[str, Any], int]:
    """Create a user; the answer holds their enrolment link, shown once, to hand over.
    Nobody but them ever sees their password or TOTP secret. With two admins or more, the
    roles that give power wait for the other admin (`pending`); with one, a new reviewer
    cools off before approving (`approve_after`)."""
    with rt().store.transaction() as db:
        done = duties.invite(
            rt(),
            db,
            body.username,
            body.roles,
            actor=current_user().username,
            source=source_address(),
        )
        shown: dict[str, Any] = users.user_to_dict(done.user)
        assert done.link is not None
        shown["enrolment"] = link_to_dict(done.link)
        if done.pending is not None:
            shown["pending"] = duties.change_to_dict(done.pending)
    return shown, 201


def link_to_dict(link: IssuedLink) -> dict[str, Any]:
    """An enrolment link as the admin sees it, once."""
    return {
        "username": link.username,
        "purpose": link.purpose,
        "url": url_for("enrol.page", token=link.token, _external=True),
        "token": link.token,
        "expires_at": link.expires_at.isoformat(),
    }


@bp.operation(
    "PUT",
    "/users/<name:username>/roles",
    body=RolesRequest,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.User, 202: answers.PendingChange},
    errors=(409,),
)
def set_roles(username: str, body: RolesRequest) -> Any:
    """Replace someone else's roles (never one's own). Granting reviewer, security or admin
    waits for a second admin when there is one (202, the pending change); with a single
    admin it applies, and a new reviewer cools off before approving."""
    with rt().store.transaction() as db:
        done = duties.change_roles(
            rt(),
            db,
            username,
            body.roles,
            actor=current_user().username,
            source=source_address(),
        )
        if done.pending is not None:
            return duties.change_to_dict(done.pending), 202
        return users.user_to_dict(done.user)


@bp.operation(
    "GET", "/users/changes", roles=policy.RUN_CONSOLE, answers={200: answers.PendingChanges}
)
def list_changes() -> dict[str, Any]:
    """Changes of access waiting for a second admin (admins and the security lead)."""
    with rt().store.session() as db:
        return {"changes": [duties.change_to_dict(c) for c in duties.pending_changes(db)]}


@bp.operation(
    "POST",
    "/users/changes/<id:change_id>/confirm",
    body=SteppedUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.ConfirmedChange},
    errors=(409,),
)
def confirm_change(change_id: int, body: SteppedUp) -> dict[str, Any]:
    """Confirm, as a second admin with 2FA, a change another admin asked for: it applies
    (a reset answers its enrolment link, shown once)."""
    with rt().store.transaction() as db:
        done = duties.confirm(
            rt(), db, change_id, actor=current_user().username, source=source_address()
        )
        assert done.pending is not None
        shown: dict[str, Any] = {
            "change": duties.change_to_dict(done.pending),
            "user": users.user_to_dict(done.user),
        }
        if done.link is not None:
            shown["enrolment"] = link_to_dict(done.link)
    return shown


@bp.operation(
    "POST",
    "/users/changes/<id:change_id>/cancel",
    body=SteppedUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.PendingChange},
    errors=(409,),
)
def cancel_change(change_id: int, body: SteppedUp) -> dict[str, Any]:
    """Drop a pending change (either admin)."""
    with rt().store.transaction() as db:
        change = duties.cancel(
            rt(), db, change_id, actor=current_user().username, source=source_address()
        )
        return duties.change_to_dict(change)


@bp.operation(
    "POST",
    "/users/<name:username>/revoke",
    body=SteppedUp,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: answers.Revocation},
    errors=(409,),
)
def revoke(username: str, body: SteppedUp) -> dict[str, Any]:
    """Revoke a user: disabled, every session and token ended, and the approvals they gave
    on posts not yet published voided."""
    with rt().store.transaction() as db:
        result = revocation.revoke_user(
            rt(), db, username, actor=current_user().username, source=source_address()
        )
    return result.to_dict()


@bp.operation(
    "POST",
    "/users/<name:username>/totp/reset",
    body=SteppedUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.EnrolmentLink, 202: answers.PendingChange},
)
def reset_totp(username: str, body: SteppedUp) -> Any:
    """Take someone's authenticator away (their sessions end too); the answer is the link,
    shown once, through which they enrol a new one, proving it with their password. With
    two admins or more it waits for the other (202, the pending change)."""
    return _reset("totp", username)


@bp.operation(
    "POST",
    "/users/<name:username>/password/reset",
    body=SteppedUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.EnrolmentLink, 202: answers.PendingChange},
)
def reset_password(username: str, body: SteppedUp) -> Any:
    """Make someone's password stop working (their sessions end too); the answer is the
    link, shown once, through which they choose another, proving it with their
    authenticator. With two admins or more it waits for the other (202)."""
    return _reset("password", username)


def _reset(kind: str, username: str) -> Any:
    with rt().store.transaction() as db:
        done = duties.reset(
            rt(), db, kind, username, actor=current_user().username, source=source_address()
        )
        if done.pending is not None:
            return duties.change_to_dict(done.pending), 202
    assert done.link is not None
    return link_to_dict(done.link)


@bp.operation("GET", "/me", answers={200: answers.Me})
def me() -> dict[str, Any]:
    """The caller's own profile."""
    with rt().store.session() as db:
        user = caller(db)
        shown = users.user_to_dict(user)
        shown["recovery_codes_left"] = recovery_codes.remaining_recovery_codes(db, user.id)
        shown["timezone"], shown["shown_in"] = user.timezone, zone_of(rt(), user)
    return shown


@bp.operation(
    "POST",
    "/me/totp",
    body=SteppedUp,
    fresh=True,
    recovery=True,
    answers={201: answers.Enrolment},
)
def start_totp(body: SteppedUp) -> tuple[dict[str, Any], int]:
    """Start replacing one's TOTP secret, with a current code (or a recovery code): the new
    one counts once a code from it is confirmed (``POST /me/totp/confirm``) with the same
    token."""
    with rt().store.transaction() as db:
        started = enrollment.start(rt(), db, caller(db), _token_id(), source=source_address())
    return {
        "secret": started.secret,
        "otpauth_uri": started.otpauth_uri,
        "qr_svg": started.qr_svg,
    }, 201


@bp.operation(
    "POST",
    "/me/totp/confirm",
    body=Confirmation,
    answers={200: answers.Enrolled},
    errors=(409, 429),
)
def confirm_totp(body: Confirmation) -> dict[str, Any]:
    """Confirm the pending TOTP secret with a code from it; answers fresh recovery codes.
    Every other session and API token of the caller ends."""
    codes = enrollment.confirm(
        rt(), current_user().id, code_of(body.otp), _token_id(), source=source_address()
    )
    return {"totp_enrolled": True, "recovery_codes": codes}


def _token_id() -> int | None:
    token = current_token()
    return token.id if token is not None else None


@bp.operation(
    "POST",
    "/me/recovery-codes",
    body=SteppedUp,
    step_up=True,
    answers={201: answers.RecoveryCodes},
)
def renew_recovery_codes(body: SteppedUp) -> tuple[dict[str, Any], int]:
    """New recovery codes, shown this once; the old ones stop working."""
    with rt().store.transaction() as db:
        codes = enrollment.regenerate(rt(), db, caller(db), source=source_address())
    return {"recovery_codes": codes}, 201


def _acceptable(value: str) -> str:
    """The password policy, checked while the body is parsed, so that a refused new
    password never spends the request's TOTP code (the rule against the user name waits for
    the service, which knows the name)."""
    try:
        passwords.check_policy(value)
    except ValidationFailed as exc:
        context = {"message": exc.message, "refusal": exc}
        raise PydanticCustomError("refused", "{message}", context) from None
    return value


class PasswordRequest(SteppedUp):
    current_password: Text
    new_password: Annotated[Text, AfterValidator(_acceptable)] = Field(
        description="At least 12 characters, not common, not guessable (NIST SP 800-63B)."
    )
    end_other_sessions: bool = Field(
        default=True, description="End every other session and API token of the caller."
    )


@bp.operation(
    "POST",
    "/me/password",
    body=PasswordRequest,
    fresh=True,
    answers={200: answers.PasswordChanged},
)
def change_password(body: PasswordRequest) -> dict[str, Any]:
    """Change one's own password, with the current one and a TOTP code in the request; other
    sessions and tokens end unless ``end_other_sessions`` is false. A wrong current password
    is a 422 naming ``current_password``, checked only after the code."""
    changed = password_change.change_own_password(
        rt(),
        current_user().id,
        body.current_password,
        body.new_password,
        keep_token=_token_id(),
        end_others=body.end_other_sessions,
        source=source_address(),
    )
    return changed.to_dict()


@bp.operation(
    "POST",
    "/users/<name:username>/enable",
    body=SteppedUp,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.User},
    errors=(409,),
)
def enable(username: str, body: SteppedUp) -> dict[str, Any]:
    """Enable a revoked user again; their credentials are as they were (reset them when the
    revocation was for a theft)."""
    with rt().store.transaction() as db:
        user = revocation.reinstate_user(
            rt(), db, username, actor=current_user().username, source=source_address()
        )
        return users.user_to_dict(user)
