"""Sandbox-only control endpoints: tokens, direct posts, inspection, fault settings.

They need no auth (the server binds to loopback by default) and are never subject
to injected faults, so tests can always observe and steer the "platform".
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.entities import account_json, iso_time, status_json
from sandbox.errors import BadRequest, Invalid
from sandbox.faults import updated_faults
from sandbox.realism import validate_length
from sandbox.state import current_state
from sandbox.store import Account

bp = Blueprint("sandbox_control", __name__)

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def named_account(name: str, *, create: bool = True) -> Account | None:
    """The sandbox account called ``name`` (created the first time it is named)."""
    if not NAME.fullmatch(name):
        raise Invalid("Validation failed: Username is invalid")
    return current_state().store.account(name, create=create)


def json_body() -> dict[str, Any]:
    """A JSON object body (form fields also accepted, for curl convenience)."""
    if not request.is_json:
        return request.form.to_dict()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Invalid JSON body")
    return data


@bp.post("/sandbox/accounts/<name>/tokens")
def issue_token(name: str) -> tuple[Response, int]:
    """A fresh access token, how ``accounts add NAME --platform sandbox`` gets one."""
    account = named_account(name)
    assert account is not None
    token = current_state().store.issue_token(account.id)
    return jsonify({"access_token": token, "account_id": str(account.id)}), 201


@bp.post("/sandbox/accounts/<name>/statuses")
def post_direct(name: str) -> tuple[Response, int]:
    """Publish bypassing Postgate and fault injection, as an attacker with the token would."""
    account = named_account(name)
    assert account is not None
    text = json_body().get("text", "")
    if not isinstance(text, str):
        raise BadRequest("text must be a string")
    state = current_state()
    validate_length(text)
    status, _ = state.store.create_status(account.id, text)
    state.stats.add("direct_posts")
    return jsonify(status_json(status, account, state.base())), 201


@bp.get("/sandbox/accounts/<name>/statuses")
def list_live(name: str) -> Response:
    """Live posts, newest first; an account never named has none."""
    account = named_account(name, create=False)
    if account is None:
        return jsonify([])
    statuses = current_state().store.live_statuses(account.id)
    return jsonify(
        [{"id": str(s.id), "text": s.text, "created_at": iso_time(s.created_at)} for s in statuses]
    )


@bp.get("/sandbox/accounts/<name>")
def show_account(name: str) -> Response:
    """Account JSON with its numeric id, for ``/api/v1/accounts/:id/statuses``."""
    account = named_account(name)
    assert account is not None
    state = current_state()
    return jsonify(account_json(account, state.base(), state.store.count_live(account.id)))


@bp.route("/sandbox/faults", methods=["GET", "PUT"])
def faults() -> Response:
    """Read or partially update latency, rate limit and error rate at run time."""
    state = current_state()
    if request.method == "PUT":
        try:
            state.set_faults(updated_faults(state.current_faults(), json_body()))
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
    return jsonify(state.current_faults().to_json())


@bp.route("/sandbox/stats", methods=["GET", "DELETE"])
def stats() -> Response:
    """Request counters; DELETE zeroes them between benchmark phases."""
    counters = current_state().stats
    if request.method == "DELETE":
        counters.reset()
    return jsonify(counters.snapshot())


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness for scripts waiting on the server."""
    return jsonify({"status": "ok"})
