"""The audit log page: newest entries first, filters, paging, and whether the chain verifies.

The filters mean what they mean in ``GET /api/v1/audit``: ``action`` matches a prefix
(``freeze`` finds ``freeze:set`` and ``freeze:lift``), ``actor`` and ``target`` match exactly.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access import roles_required
from gateway.context import rt
from gateway.web import list_pages
from postgate import audit, audit_checkpoint, policy
from postgate.services.listing import within
from postgate.store.models import AuditEntry

bp = Blueprint("audit", __name__)
PAGE = 50
ACTIONS = sorted({str(e).split(":")[0] for e in audit.Event} | {str(e) for e in audit.Event})


def _filters() -> dict[str, str]:
    return {
        name: (request.args.get(name) or "").strip()[:200]
        for name in ("action", "actor", "target", "since", "until")
    }


def _before() -> int | None:
    raw = request.args.get("before", "")
    return int(raw) if raw.isdigit() else None


def newest_entries(
    db: Session, filters: dict[str, str], before: int | None, limit: int = PAGE
) -> list[AuditEntry]:
    """Entries older than ``before`` (all when None), newest first, filtered."""
    query = select(AuditEntry)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["actor"]:
        query = query.where(AuditEntry.actor == filters["actor"])
    if filters["target"]:
        query = query.where(AuditEntry.target == filters["target"])
    window = list_pages.window()  # since and until, days in UTC
    window.check()
    query = within(query, AuditEntry.at, window)
    return list(db.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))


@bp.get("/security/audit", endpoint="log")
@roles_required(policy.RUN_CONSOLE)
def audit_log() -> ResponseReturnValue:
    filters, before = _filters(), _before()
    with rt().store.session() as db:
        entries: list[dict[str, Any]] = [
            audit.entry_to_dict(e) for e in newest_entries(db, filters, before, PAGE + 1)
        ]
    check = audit_checkpoint.verify_trail(rt())
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    return render_template(
        "console/audit.html",
        entries=entries,
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        actions=ACTIONS,
        older=entries[-1]["seq"] if more and entries else None,
        newest_page=before is None,
        check=check,
    )
