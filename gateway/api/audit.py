"""``/api/v1/audit``: the hash-chained log, for security and admin only."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.access import roles_required
from gateway.context import rt
from postgate import audit, audit_checkpoint, policy
from postgate.errors import ValidationFailed
from postgate.store.types import INT_MAX

bp = Blueprint("audit", __name__)
MAX_LIMIT = 1000


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from None
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}", field=name)
    return value


@bp.get("/audit")
@roles_required(policy.RUN_CONSOLE)
def list_entries() -> ResponseReturnValue:
    """Entries after ``after`` (a sequence number), oldest first; page with ``next_after``."""
    after = _int_arg("after", 0, 0, INT_MAX)
    limit = _int_arg("limit", 200, 1, MAX_LIMIT)
    with rt().store.session() as db:
        entries = audit.list_entries(
            db,
            after=after,
            limit=limit,
            action=request.args.get("action") or None,
            actor=request.args.get("actor") or None,
            target=request.args.get("target") or None,
        )
        body = [audit.entry_to_dict(e) for e in entries]
    return jsonify({"entries": body, "next_after": body[-1]["seq"] if body else after})


@bp.get("/audit/verify")
@roles_required(policy.RUN_CONSOLE)
def verify() -> ResponseReturnValue:
    """Walk the whole chain and hold it against the latest checkpoint, as ``postgate audit
    verify`` does."""
    result = audit_checkpoint.verify_trail(rt())
    return jsonify(
        {
            "ok": result.ok,
            "entries": result.count,
            "bad_seq": result.bad_seq,
            "problem": result.problem,
            "checkpoint": {"seq": result.checkpoint_seq, "at": result.checkpoint_at}
            if result.checkpoint_seq is not None
            else None,
        }
    )
