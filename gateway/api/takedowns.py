"""``/api/v1/takedowns`` (start, follow, incident report) and crisis statements.

Role first, then the step-up; a takedown answers 202 once the accounts are frozen and the
sessions ended (also when it only joined running takedowns), and its job does the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import Response
from pydantic import Field

from gateway import cursors
from gateway.access import caller, current_token, current_user
from gateway.api import answers
from gateway.api.operations import ApiBlueprint
from gateway.api.paging import DatedPageQuery
from gateway.api.types import (
    AwareTime,
    Body,
    Limited,
    Query,
    SteppedUp,
    column_length,
    one_of,
)
from gateway.context import rt, source_address
from postgate import policy
from postgate.errors import ValidationFailed
from postgate.services import (
    crisis,
    incident,
    other_lists,
    posts,
    takedown_preview,
    takedown_view,
    takedowns,
)
from postgate.services.takedown_evidence import evidence_archive as takedown_evidence_zip
from postgate.services.takedown_scope import Scope, parse_scope
from postgate.states import TakedownStatus
from postgate.store.models import Account, TakedownItem, User

TAKEDOWN_STATUSES = tuple(s.value for s in TakedownStatus)

bp = ApiBlueprint("takedowns", __name__, tag="takedowns")


class TakedownScope(Body):
    """Which posts a takedown touches: every unauthorized post in the window, Postgate's
    posts edited on the platform, and the Postgate posts chosen here; never a crisis
    statement nor an excluded id."""

    accounts: Annotated[
        list[Annotated[Limited(column_length(Account.name)), Field(min_length=1)]] | None,  # type: ignore[valid-type]
        ValidationFailed("accounts must be a list of names", field="accounts"),
        Field(description="Absent: every account."),
    ] = None
    since: AwareTime = Field(description="Take down what appeared since then.")
    include_postgate: Annotated[
        one_of(("none", "all"))  # type: ignore[valid-type]
        | list[Annotated[Limited(column_length(User.username)), Field(min_length=1)]],  # type: ignore[valid-type]
        ValidationFailed(
            'include_postgate is "none", "all" or a list of usernames', field="include_postgate"
        ),
        Field(
            description="Which of Postgate's own posts go: none (default), all, or those "
            "these users wrote."
        ),
    ] = "none"
    exclude: Annotated[
        list[Annotated[Limited(column_length(TakedownItem.remote_id)), Field(min_length=1)]],  # type: ignore[valid-type]
        ValidationFailed("exclude must be a list of remote ids", field="exclude"),
        Field(description="Remote ids of posts to leave alone."),
    ] = []  # noqa: RUF012 - pydantic copies defaults

    @property
    def scope(self) -> Scope:
        return parse_scope(self.include_postgate, self.exclude)


class TakedownRequest(SteppedUp, TakedownScope):
    users: Annotated[
        list[Annotated[Limited(column_length(User.username)), Field(min_length=1)]] | None,  # type: ignore[valid-type]
        ValidationFailed("users must be a list of names", field="users"),
        Field(description="Whose sessions and tokens end; absent: everyone but the caller."),
    ] = None


class ReportFormat(Query):
    format: Annotated[
        one_of(("json", "markdown")),  # type: ignore[valid-type]
        ValidationFailed("format is json or markdown", field="format"),
    ] = "json"


@bp.operation(
    "POST",
    "/takedowns",
    body=TakedownRequest,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={202: answers.TakedownStarted},
    errors=(404,),
)
def start_takedown(body: TakedownRequest) -> tuple[dict[str, Any], int]:
    """Freeze the accounts, end the sessions, then (in a job) delete every post since
    `since` that Postgate did not publish and revoke the accounts' credentials. Joins the
    takedowns already running on the same accounts, widening their windows when `since` is
    earlier."""
    token = current_token()
    start = takedowns.start_takedown(
        rt(),
        current_user().id,
        token.id if token is not None else None,
        body.accounts,
        body.since,
        body.users,
        scope=body.scope,
        source=source_address(),
    )
    with rt().store.session() as db:
        shown = takedown_view.takedown_to_dict(
            db, takedown_view.load_takedown(db, start.takedown.id)
        )
    shown |= {
        "created": start.created,
        "joined": start.joined,
        "sessions_ended": start.sessions_ended,
        "widened": start.widened,
        "widened_after_revocation": start.too_late,
    }
    return shown, 202


@bp.operation(
    "POST",
    "/takedowns/preview",
    body=TakedownScope,
    roles=policy.RUN_CONSOLE,
    answers={200: answers.TakedownPreview},
    errors=(404,),
)
def preview_takedown(body: TakedownScope) -> dict[str, Any]:
    """What a takedown with this body would touch, listed from the platforms now: every post
    in the window with its origin, author, approvers and whether it would be deleted.
    Nothing is changed (no freeze, no session ended)."""
    return takedown_preview.preview_takedown(rt(), body.accounts, body.since, body.scope)


class TakedownFilter(DatedPageQuery):
    status: one_of(TAKEDOWN_STATUSES) | None = None  # type: ignore[valid-type]


@bp.operation(
    "GET",
    "/takedowns",
    query=TakedownFilter,
    roles=policy.RUN_CONSOLE,
    answers={200: answers.TakedownList},
)
def list_takedowns(query: TakedownFilter) -> dict[str, Any]:
    """Takedowns, newest first, without their items; `since`/`until` bound when they
    started. Follow `next` for more."""
    filters = {**query.window().filters(), "status": query.status or ""}
    at = cursors.read(query.cursor, "takedowns", filters)
    with rt().store.session() as db:
        page = other_lists.page_takedowns(
            db, query.window(), status=query.status, limit=query.limit, after=at.after
        )
        shown = [takedown_view.takedown_to_dict(db, t, items=False) for t in page.items]
    return {"takedowns": shown, "next": cursors.make("takedowns", filters, after=page.next_after)}


@bp.operation(
    "GET",
    "/takedowns/<id:takedown_id>",
    roles=policy.RUN_CONSOLE,
    answers={200: answers.Takedown},
)
def get_takedown(takedown_id: int) -> dict[str, Any]:
    """One takedown with its progress and every post it found."""
    with rt().store.session() as db:
        return takedown_view.takedown_to_dict(db, takedown_view.load_takedown(db, takedown_id))


@bp.operation(
    "GET",
    "/takedowns/<id:takedown_id>/report",
    query=ReportFormat,
    roles=policy.RUN_CONSOLE,
    answers={200: {"application/json": answers.IncidentReport, "text/markdown": None}},
)
def takedown_report(takedown_id: int, query: ReportFormat) -> Any:
    """The incident report of a takedown, with its timeline from the audit log, as JSON or
    as Markdown for the post-mortem."""
    with rt().store.session() as db:
        report = incident.incident_report(db, takedown_id)
    if query.format == "json":
        return report
    return Response(
        incident.report_markdown(report),
        mimetype="text/markdown",
        headers={"Content-Disposition": f'inline; filename="takedown-{takedown_id}.md"'},
    )


@bp.operation(
    "GET",
    "/takedowns/<id:takedown_id>/evidence",
    roles=policy.RUN_CONSOLE,
    answers={200: {"application/zip": None}},
)
def takedown_evidence(takedown_id: int) -> Any:
    """The takedown's evidence as one ZIP: each post's item with the platform's full record,
    the incident report, and a manifest of SHA-256 hashes."""
    with rt().store.session() as db:
        archive = takedown_evidence_zip(db, takedown_id, rt().settings)
    return Response(
        archive,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="takedown-{takedown_id}-evidence.zip"'
        },
    )


@bp.operation(
    "POST",
    "/posts/<id:post_id>/crisis",
    body=SteppedUp,
    roles=policy.MARK_CRISIS,
    step_up=True,
    answers={200: answers.Post},
    errors=(409,),
)
def mark_crisis(post_id: int, body: SteppedUp) -> dict[str, Any]:
    """Mark a post as a crisis statement, which may publish during a freeze; it goes back
    to review."""
    with rt().store.transaction() as db:
        post = crisis.mark_crisis_statement(rt(), db, caller(db), post_id, source=source_address())
        return posts.post_to_dict(post)


@bp.operation("GET", "/crisis/templates", answers={200: answers.StatementTemplates})
def crisis_templates() -> dict[str, Any]:
    """The crisis statement templates of ``config/statements``."""
    return {"templates": crisis.statement_templates(rt())}
