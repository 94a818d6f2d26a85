"""Sandbox-only control endpoints: tokens, direct posts, inspection, fault settings.

They need no auth (the server binds to loopback by default) and are never subject
to injected faults, so tests can always observe and steer the "platform".
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.entities import account_json, iso_time, status_json
from sandbox.errors import BadRequest, Invalid
from sandbox.faults import updated_faults
from sandbox.oauth import issue_app_token
from sandbox.realism import validate_length
from sandbox.state import current_state
from sandbox.store import Account, Status
from sandbox.switches import EXTENSION as REALISM
from sandbox.switches import RealismState, updated_realism

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
    """A fresh access token, how ``accounts add NAME --platform sandbox`` gets one; a JSON
    body ``{"scopes": "write"}`` gives its app other scopes than ``read write``."""
    account = named_account(name)
    assert account is not None
    body = request.get_json(silent=True) if request.content_length else None
    scopes = body.get("scopes") if isinstance(body, dict) else None
    if scopes is not None and (not isinstance(scopes, str) or not scopes.split()):
        raise BadRequest("scopes must be a non-empty string of scopes")
    issued = issue_app_token(current_state().store, account, scopes or "read write")
    return jsonify(issued), 201


@bp.post("/sandbox/accounts/<name>/statuses")
def post_direct(name: str) -> tuple[Response, int]:
    """Publish bypassing Postgate and fault injection, as an attacker with the token would."""
    account = named_account(name)
    assert account is not None
    body = json_body()
    text, visibility = body.get("text", ""), body.get("visibility") or "public"
    if not isinstance(text, str) or not isinstance(visibility, str):
        raise BadRequest("text and visibility must be strings")
    state = current_state()
    validate_length(text)
    status, _ = state.store.create_status(account.id, text, visibility)
    state.stats.add("direct_posts")
    return jsonify(status_json(status, account, state.base())), 201


@bp.get("/sandbox/accounts/<name>/statuses")
def list_live(name: str) -> Response:
    """Live posts, newest first; an account never named has none."""
    account = named_account(name, create=False)
    if account is None:
        return jsonify([])
    statuses = current_state().store.live_statuses(account.id)
    return jsonify([live_json(status) for status in statuses])


def live_json(status: Status) -> dict[str, Any]:
    """``{"id", "text", "created_at"}`` (CONTRACT.md) with ``visibility`` and ``edited_at``."""
    return {
        "id": str(status.id),
        "text": status.text,
        "created_at": iso_time(status.created_at),
        "visibility": status.visibility,
        "edited_at": iso_time(status.edited_at) if status.edited_at else None,
    }


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


@bp.route("/sandbox/realism", methods=["GET", "PUT"])
def realism() -> Response:
    """Read or partially update the realism switches (``sandbox.switches``)."""
    state: RealismState = current_app.extensions[REALISM]
    if request.method == "PUT":
        try:
            state.set(updated_realism(state.get(), json_body()))
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
    return jsonify(state.get().to_json())


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
