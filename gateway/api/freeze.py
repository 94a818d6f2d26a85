"""``/api/v1/freeze``: put a freeze in force, lift it, list those in force.

Role first, then the step-up: a caller without the role gets 403 whatever the code.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from gateway.access import caller, roles_required
from gateway.api.body import field, json_body, step_up
from gateway.context import rt, source_address
from postgate import policy
from postgate.services import freezes

bp = Blueprint("freeze", __name__)


@bp.post("/freeze")
@roles_required(policy.RUN_CONSOLE)
def set_freeze() -> ResponseReturnValue:
    data = json_body()
    account = field(data, "account", required=False)
    reason = field(data, "reason")
    step_up(data)
    with rt().store.transaction() as db:
        result = freezes.set_freeze(rt(), db, caller(db), account, reason, source=source_address())
        body = result.to_dict()
    return jsonify(body), 201


@bp.post("/freeze/lift")
@roles_required(policy.RUN_CONSOLE)
def lift_freeze() -> ResponseReturnValue:
    data = json_body()
    account = field(data, "account", required=False)
    step_up(data)
    with rt().store.transaction() as db:
        lifted = freezes.lift_freeze(rt(), db, caller(db), account, source=source_address())
        body = {
            "lifted": [freezes.freeze_to_dict(f) for f in lifted],
            "still_in_force": [freezes.freeze_to_dict(f) for f in freezes.active_freezes(db)],
        }
    return jsonify(body)


@bp.get("/freezes")
def list_freezes() -> ResponseReturnValue:
    """Every signed-in user may see what is frozen: authors need to know why nothing goes out."""
    with rt().store.session() as db:
        return jsonify({"freezes": [freezes.freeze_to_dict(f) for f in freezes.active_freezes(db)]})
