"""``/api/v1`` endpoints for users, their roles and their 2FA.

The role is checked before the step-up, so a caller lacking it gets 403 whatever the code.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from gateway.access import caller, current_token, current_user
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Body, Limited, Otp, SteppedUp, Text, code_of, column_length
from gateway.context import rt, source_address
from postgate import passwords, policy
from postgate.errors import ValidationFailed
from postgate.services import enrollment, password_change, recovery_codes, revocation, users
from postgate.store.models import User

bp = ApiBlueprint("users", __name__, tag="users")

Roles = Annotated[
    list[Text],
    ValidationFailed("roles must be a list of strings", field="roles"),
    Field(description="Some of author, reviewer, security, admin."),
]


class NewUserRequest(SteppedUp):
    username: Limited(column_length(User.username))  # type: ignore[valid-type]
    roles: Roles
    password: Text | None = Field(default=None, description="Absent: one is generated.")


class RolesRequest(SteppedUp):
    roles: Roles


class Confirmation(Body):
    otp: Otp | None = None


@bp.operation("GET", "/users", roles=policy.RUN_CONSOLE, answers={200: answers.UserList})
def list_users() -> dict[str, Any]:
    """Every user."""
    with rt().store.session() as db:
        return {"users": [users.user_to_dict(u) for u in users.list_users(db)]}


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
    """Create a user; the answer shows their TOTP secret (and a generated password) once."""
    with rt().store.transaction() as db:
        created = users.create_user(
            rt(),
            db,
            body.username,
            body.roles,
            password=body.password,
            actor=current_user().username,
            source=source_address(),
        )
        shown: dict[str, Any] = users.user_to_dict(created.user)
    first = enrollment.Enrollment(created.user.username, created.totp_secret)
    shown.update(totp_secret=first.secret, otpauth_uri=first.otpauth_uri, qr_svg=first.qr_svg)
    if created.password is not None:
        shown["password"] = created.password
    return shown, 201


@bp.operation(
    "PUT",
    "/users/<name:username>/roles",
    body=RolesRequest,
    roles=policy.ADMINISTER,
    step_up=True,
    answers={200: answers.User},
    errors=(409,),
)
def set_roles(username: str, body: RolesRequest) -> dict[str, Any]:
    """Replace someone's roles; the last active admin keeps the admin role."""
    with rt().store.transaction() as db:
        user = users.set_roles(
            rt(),
            db,
            username,
            body.roles,
            actor=current_user().username,
            source=source_address(),
        )
        return users.user_to_dict(user)


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
    answers={200: answers.TotpReset},
)
def reset_totp(username: str, body: SteppedUp) -> dict[str, Any]:
    """Give someone a new TOTP secret, shown this once."""
    with rt().store.transaction() as db:
        fresh = enrollment.reset(
            rt(), db, username, actor=current_user().username, source=source_address()
        )
    return {
        "username": fresh.username,
        "totp_secret": fresh.secret,
        "otpauth_uri": fresh.otpauth_uri,
        "qr_svg": fresh.qr_svg,
    }


@bp.operation("GET", "/me", answers={200: answers.Me})
def me() -> dict[str, Any]:
    """The caller's own profile."""
    with rt().store.session() as db:
        user = caller(db)
        shown = users.user_to_dict(user)
        shown["recovery_codes_left"] = recovery_codes.remaining_recovery_codes(db, user.id)
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
