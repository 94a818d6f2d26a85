"""A takedown as it runs and after: the live progress page, the JSON it polls, and the
incident report (HTML, or Markdown to paste into the post-mortem)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from gateway.access import roles_required
from gateway.context import rt
from gateway.reasons import summary_text
from gateway.web import list_pages
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import incident, other_lists, takedown_view
from postgate.services.listing import DEFAULT_LIMIT
from postgate.services.takedown_evidence import evidence_archive, evidence_file
from postgate.states import TakedownStatus

bp = Blueprint("takedowns", __name__)


def _takedown_body(takedown_id: int, items: bool = True) -> dict[str, Any]:
    with rt().store.session() as db:
        takedown = takedown_view.load_takedown(db, takedown_id)
        return takedown_view.takedown_to_dict(db, takedown, items=items)


@bp.get("/security/takedowns", endpoint="index")
@roles_required(policy.RUN_CONSOLE)
def takedowns_list() -> ResponseReturnValue:
    """Every takedown, newest first, a page at a time, by status and start date."""
    window = list_pages.window()
    status = list_pages.arg("status", 32)
    if status is not None and status not in tuple(TakedownStatus):
        raise ValidationFailed("unknown status {value!r}", field="status", value=status)
    filters = {**window.filters(), "status": status or ""}
    at = list_pages.position("takedowns", filters)
    with rt().store.session() as db:
        page = other_lists.page_takedowns(
            db, window, status=status, limit=DEFAULT_LIMIT, after=at.after, before=at.before
        )
        shown = [takedown_view.takedown_to_dict(db, t, items=False) for t in page.items]
    return render_template(
        "console/takedowns.html",
        takedowns=shown,
        links=list_pages.links("takedowns", filters, page),
        statuses=list(TakedownStatus),
        status=status,
    )


@bp.get("/security/takedowns/<int:takedown_id>", endpoint="show")
@roles_required(policy.RUN_CONSOLE)
def takedown_page(takedown_id: int) -> ResponseReturnValue:
    return render_template("console/takedown.html", takedown=_takedown_body(takedown_id))


@bp.get("/security/takedowns/<int:takedown_id>/progress", endpoint="progress")
@roles_required(policy.RUN_CONSOLE)
def takedown_progress(takedown_id: int) -> ResponseReturnValue:
    """What ``console.js`` polls every second: status, phase and counts, no evidence."""
    return jsonify(_takedown_body(takedown_id, items=False))


@bp.get("/security/takedowns/<int:takedown_id>/report", endpoint="report")
@roles_required(policy.RUN_CONSOLE)
def takedown_report(takedown_id: int) -> ResponseReturnValue:
    with rt().store.session() as db:
        report = incident.incident_report(db, takedown_id)
    if request.args.get("format") == "markdown":
        return Response(
            incident.report_markdown(report, tr=gettext, say=summary_text),
            mimetype="text/markdown",
            headers={"Content-Disposition": f'attachment; filename="takedown-{takedown_id}.md"'},
        )
    return render_template("console/report.html", report=report)


@bp.get("/security/takedowns/<int:takedown_id>/evidence", endpoint="evidence")
@roles_required(policy.RUN_CONSOLE)
def takedown_evidence(takedown_id: int) -> ResponseReturnValue:
    """The evidence archive (``postgate.services.takedown_evidence``), to download."""
    with rt().store.session() as db:
        archive = evidence_archive(db, takedown_id, rt().settings)
    return Response(
        archive,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="takedown-{takedown_id}-evidence.zip"'
        },
    )


@bp.get("/security/takedowns/<int:takedown_id>/media/<sha256>", endpoint="media")
@roles_required(policy.RUN_CONSOLE)
def takedown_media(takedown_id: int, sha256: str) -> ResponseReturnValue:
    """A media file the takedown's evidence kept; only one this takedown names."""
    with rt().store.session() as db:
        found = evidence_file(db, takedown_id, sha256, rt().settings)
    if found is None:
        abort(404)
    data, mime = found
    return Response(
        data,
        mimetype=mime,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
