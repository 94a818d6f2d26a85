"""``/api/v1/takedowns`` (start, follow, incident report) and crisis statements.

Role first, then the step-up; a takedown answers 202 once the accounts are frozen and the
sessions ended (also when it only joined running takedowns), and its job does the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.access import caller, current_token, current_user, roles_required
from gateway.api.body import field, json_body, step_up
from gateway.context import rt, source_address
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import crisis, incident, posts, takedown_view, takedowns
from postgate.timeparse import parse_aware

bp = Blueprint("takedowns", __name__)


def _names(data: dict[str, Any], name: str) -> list[str] | None:
    value = field(data, name, list, required=False)
    if value is not None and not all(isinstance(v, str) and v for v in value):
        raise ValidationFailed(f"{name} must be a list of names", field=name)
    return value


@bp.post("/takedowns")
@roles_required(policy.RUN_CONSOLE)
def start_takedown() -> ResponseReturnValue:
    data = json_body()
    accounts, users = _names(data, "accounts"), _names(data, "users")
    since = parse_aware(field(data, "since"), "since")
    step_up(data)
    token = current_token()
    start = takedowns.start_takedown(
        rt(),
        current_user().id,
        token.id if token is not None else None,
        accounts,
        since,
        users,
        source=source_address(),
    )
    with rt().store.session() as db:
        takedown = takedown_view.load_takedown(db, start.takedown.id)
        body = takedown_view.takedown_to_dict(db, takedown)
    body |= {
        "created": start.created,
        "joined": start.joined,
        "sessions_ended": start.sessions_ended,
        "widened": start.widened,
        "widened_after_revocation": start.too_late,
    }
    return jsonify(body), 202


@bp.get("/takedowns")
@roles_required(policy.RUN_CONSOLE)
def list_takedowns() -> ResponseReturnValue:
    with rt().store.session() as db:
        found = takedown_view.list_takedowns(db)
        return jsonify(
            {"takedowns": [takedown_view.takedown_to_dict(db, t, items=False) for t in found]}
        )


@bp.get("/takedowns/<int:takedown_id>")
@roles_required(policy.RUN_CONSOLE)
def get_takedown(takedown_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        takedown = takedown_view.load_takedown(db, takedown_id)
        return jsonify(takedown_view.takedown_to_dict(db, takedown))


@bp.get("/takedowns/<int:takedown_id>/report")
@roles_required(policy.RUN_CONSOLE)
def takedown_report(takedown_id: int) -> ResponseReturnValue:
    kind = request.args.get("format", "json")
    if kind not in ("json", "markdown"):
        raise ValidationFailed("format is json or markdown", field="format")
    with rt().store.session() as db:
        report = incident.incident_report(db, takedown_id)
    if kind == "json":
        return jsonify(report)
    return Response(
        incident.report_markdown(report),
        mimetype="text/markdown",
        headers={"Content-Disposition": f'inline; filename="takedown-{takedown_id}.md"'},
    )


@bp.post("/posts/<int:post_id>/crisis")
@roles_required(policy.MARK_CRISIS)
def mark_crisis(post_id: int) -> ResponseReturnValue:
    data = json_body()
    step_up(data)
    with rt().store.transaction() as db:
        post = crisis.mark_crisis_statement(rt(), db, caller(db), post_id, source=source_address())
        body = posts.post_to_dict(post)
    return jsonify(body)


@bp.get("/crisis/templates")
def crisis_templates() -> ResponseReturnValue:
    return jsonify({"templates": crisis.statement_templates(rt())})
