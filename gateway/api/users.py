"""``/api/v1`` endpoints for users, their roles and their 2FA.

The role is checked before the step-up, so a caller lacking it gets 403 whatever the code.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from gateway.access import caller, current_user, roles_required
from gateway.api.body import field, json_body, otp_of, step_up
from gateway.context import rt, source_address
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import enrollment, recovery_codes, revocation, users

bp = Blueprint("users", __name__)


def _roles(data: dict[str, Any]) -> list[str]:
    roles = field(data, "roles", list)
    if not all(isinstance(role, str) for role in roles):
        raise ValidationFailed("roles must be a list of strings", field="roles")
    return roles


@bp.get("/users")
@roles_required(policy.RUN_CONSOLE)
def list_users() -> ResponseReturnValue:
    with rt().store.session() as db:
        return jsonify({"users": [users.user_to_dict(u) for u in users.list_users(db)]})


@bp.post("/users")
@roles_required(policy.ADMINISTER)
def create_user() -> ResponseReturnValue:
    data = json_body()
    step_up(data)
    with rt().store.transaction() as db:
        created = users.create_user(
            rt(),
            db,
            field(data, "username"),
            _roles(data),
            password=field(data, "password", required=False),
            actor=current_user().username,
            source=source_address(),
        )
        body: dict[str, Any] = users.user_to_dict(created.user)
    first = enrollment.Enrollment(created.user.username, created.totp_secret)
    body.update(totp_secret=first.secret, otpauth_uri=first.otpauth_uri, qr_svg=first.qr_svg)
    if created.password is not None:
        body["password"] = created.password
    return jsonify(body), 201


@bp.put("/users/<username>/roles")
@roles_required(policy.ADMINISTER)
def set_roles(username: str) -> ResponseReturnValue:
    data = json_body()
    step_up(data)
    with rt().store.transaction() as db:
        user = users.set_roles(
            rt(),
            db,
            username,
            _roles(data),
            actor=current_user().username,
            source=source_address(),
        )
        return jsonify(users.user_to_dict(user))


@bp.post("/users/<username>/revoke")
@roles_required(policy.RUN_CONSOLE)
def revoke(username: str) -> ResponseReturnValue:
    step_up(json_body())
    with rt().store.transaction() as db:
        result = revocation.revoke_user(
            rt(), db, username, actor=current_user().username, source=source_address()
        )
    return jsonify(result.to_dict())


@bp.post("/users/<username>/totp/reset")
@roles_required(policy.ADMINISTER)
def reset_totp(username: str) -> ResponseReturnValue:
    step_up(json_body())
    with rt().store.transaction() as db:
        fresh = enrollment.reset(
            rt(), db, username, actor=current_user().username, source=source_address()
        )
    return jsonify(
        {
            "username": fresh.username,
            "totp_secret": fresh.secret,
            "otpauth_uri": fresh.otpauth_uri,
            "qr_svg": fresh.qr_svg,
        }
    )


@bp.get("/me")
def me() -> ResponseReturnValue:
    with rt().store.session() as db:
        user = caller(db)
        body = users.user_to_dict(user)
        body["recovery_codes_left"] = recovery_codes.remaining_recovery_codes(db, user.id)
    return jsonify(body)


@bp.post("/me/totp")
def start_totp() -> ResponseReturnValue:
    step_up(json_body())
    with rt().store.transaction() as db:
        started = enrollment.start(rt(), db, caller(db), source=source_address())
    return jsonify(
        {"secret": started.secret, "otpauth_uri": started.otpauth_uri, "qr_svg": started.qr_svg}
    ), 201


@bp.post("/me/totp/confirm")
def confirm_totp() -> ResponseReturnValue:
    codes = enrollment.confirm(
        rt(), current_user().id, otp_of(json_body()), source=source_address()
    )
    return jsonify({"totp_enrolled": True, "recovery_codes": codes})


@bp.post("/me/recovery-codes")
def renew_recovery_codes() -> ResponseReturnValue:
    step_up(json_body())
    with rt().store.transaction() as db:
        codes = enrollment.regenerate(rt(), db, caller(db), source=source_address())
    return jsonify({"recovery_codes": codes}), 201
