"""``/api/v1/audit``: the hash-chained log, for security and admin only."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway import cursors
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.paging import DatedPageQuery
from gateway.api.types import Limited, column_length, one_of
from gateway.context import rt
from postgate import audit, audit_checkpoint, policy
from postgate.services import listing, other_lists
from postgate.services.other_lists import AuditQuery
from postgate.store.models import AuditEntry
from postgate.store.types import INT_MAX

bp = ApiBlueprint("audit", __name__, tag="audit")
MAX_LIMIT = 1000


class AuditFilter(DatedPageQuery):
    after: int = Field(default=0, ge=0, le=INT_MAX, description="A sequence number.")
    limit: int = Field(default=200, ge=1, le=MAX_LIMIT)
    sort: one_of(listing.SORTS) = Field(  # type: ignore[valid-type]
        default="oldest", description="`oldest` first (default) or `newest` first."
    )
    action: Limited(column_length(AuditEntry.action)) | None = Field(  # type: ignore[valid-type]
        default=None, description="Entries whose action starts with this, e.g. `post:`."
    )
    actor: Limited(column_length(AuditEntry.actor)) | None = None  # type: ignore[valid-type]
    target: Limited(column_length(AuditEntry.target)) | None = None  # type: ignore[valid-type]


@bp.operation(
    "GET", "/audit", query=AuditFilter, roles=policy.RUN_CONSOLE, answers={200: answers.AuditPage}
)
def list_entries(query: AuditFilter) -> dict[str, Any]:
    """Entries after `after` (a sequence number), oldest first; page with `next` (or, oldest
    first, with `next_after` as `after`)."""
    wanted = AuditQuery(
        action=query.action or None,
        actor=query.actor or None,
        target=query.target or None,
        window=query.window(),
        sort=listing.Sort(query.sort),
    )
    filters = wanted.filters()
    at = cursors.read(query.cursor, "audit", filters)
    start = at.after if query.cursor else (query.after or None)
    with rt().store.session() as db:
        page = other_lists.page_audit(db, wanted, limit=query.limit, after=start)
        shown = [audit.entry_to_dict(e) for e in page.items]
    last = shown[-1]["seq"] if shown else query.after
    return {
        "entries": shown,
        "next_after": last,
        "next": cursors.make("audit", filters, after=page.next_after),
    }


@bp.operation("GET", "/audit/verify", roles=policy.RUN_CONSOLE, answers={200: answers.Verification})
def verify() -> dict[str, Any]:
    """Walk the whole chain and hold it against the latest checkpoint, as `postgate audit
    verify` does."""
    result = audit_checkpoint.verify_trail(rt())
    checkpoint = None
    if result.checkpoint_seq is not None:
        checkpoint = {"seq": result.checkpoint_seq, "at": result.checkpoint_at}
    return {
        "ok": result.ok,
        "entries": result.count,
        "bad_seq": result.bad_seq,
        "problem": result.problem,
        "checkpoint": checkpoint,
    }
