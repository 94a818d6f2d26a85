"""``/api/v1/accounts``: list accounts; admins add them, replace credentials, change settings.

Credentials go in once, are verified with the platform, stored encrypted and never come back
out (invariant 9). Every change needs the admin role and a fresh TOTP proof (invariant 3).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from gateway.access import current_token, current_user, roles_required
from gateway.api.body import field, json_body
from gateway.context import rt, source_address
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import accounts, sessions

bp = Blueprint("accounts", __name__)


def _step_up(data: dict[str, Any]) -> None:
    code = data.get("otp")
    if code is not None and (not isinstance(code, str | int) or isinstance(code, bool)):
        raise ValidationFailed("otp must be a string of 6 digits", field="otp")
    sessions.step_up(
        rt(),
        current_user(),
        current_token(),
        None if code is None else str(code),
        source=source_address(),
    )


def _secret(data: dict[str, Any]) -> str | None:
    value = data.get("credentials")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return json.dumps(value)
    raise ValidationFailed("credentials must be a string or an object", field="credentials")


def _strings(data: dict[str, Any], name: str) -> list[str]:
    value = field(data, name, list, required=False, default=[])
    if not all(isinstance(item, str) for item in value):
        raise ValidationFailed(f"{name} must be a list of strings", field=name)
    return value


@bp.get("/accounts")
def list_accounts() -> ResponseReturnValue:
    with rt().store.session() as db:
        found = accounts.list_accounts(db)
        return jsonify({"accounts": [accounts.account_to_dict(a) for a in found]})


@bp.post("/accounts")
@roles_required(policy.ADMINISTER)
def add_account() -> ResponseReturnValue:
    data = json_body()
    _step_up(data)
    approvals = field(data, "approvals", int, required=False, default=1)
    with rt().store.transaction() as db:
        account = accounts.add_account(
            rt(),
            db,
            field(data, "name"),
            field(data, "platform"),
            base_url=field(data, "base_url", required=False),
            secret=_secret(data),
            timezone=field(data, "timezone", required=False, default="UTC"),
            windows=_strings(data, "windows"),
            blackout_dates=_strings(data, "blackout_dates"),
            approvals_required=approvals,
            actor=current_user().username,
            source=source_address(),
        )
        body = accounts.account_to_dict(account)
    return jsonify(body), 201


@bp.put("/accounts/<name>/credentials")
@roles_required(policy.ADMINISTER)
def replace_credentials(name: str) -> ResponseReturnValue:
    data = json_body()
    _step_up(data)
    with rt().store.transaction() as db:
        account = accounts.replace_credentials(
            rt(), db, name, _secret(data), actor=current_user().username, source=source_address()
        )
        body = accounts.account_to_dict(account)
    return jsonify(body)


@bp.patch("/accounts/<name>")
@roles_required(policy.ADMINISTER)
def update_account(name: str) -> ResponseReturnValue:
    data = json_body()
    _step_up(data)
    changes: dict[str, Any] = {}
    for key in ("windows", "blackout_dates"):
        if key in data:
            changes[key] = _strings(data, key)
    if "timezone" in data:
        changes["timezone"] = field(data, "timezone")
    if "approvals_required" in data:
        changes["approvals_required"] = data["approvals_required"]
    with rt().store.transaction() as db:
        account = accounts.update_account(
            rt(), db, name, changes, actor=current_user().username, source=source_address()
        )
        body = accounts.account_to_dict(account)
    return jsonify(body)
