"""``/api/v1/alerts``: what the watch saw that Postgate did not do, and each account's watch.

Security and admin only. An alert carries its evidence (text, time, link) and ``takedown``,
the body to give ``POST /takedowns/preview`` and ``POST /takedowns`` to take the account down
from just before the first unauthorized post ("take down from here").
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.access import caller
from gateway.api.operations import ApiBlueprint
from gateway.api.types import Answer, Limited, Query, SteppedUp, Time, column_length, one_of
from gateway.context import rt, source_address
from postgate import policy
from postgate.services import watch_alerts
from postgate.services.accounts import find_account
from postgate.states import AlertKind
from postgate.store.models import Account
from postgate.store.types import INT_MAX

bp = ApiBlueprint("alerts", __name__, tag="alerts")
AccountName = Limited(column_length(Account.name))


class TakedownFromHere(Answer):
    """The takedown this alert offers, as ``POST /takedowns/preview`` takes it."""

    accounts: list[str]
    since: Time


class Alert(Answer):
    """``kind``: ``unauthorized_post``, ``edited``, ``deleted`` or ``profile_changed``;
    ``at``: when it happened on the platform; ``changed``: a profile's changed fields."""

    id: int
    account: str
    kind: one_of(tuple(AlertKind))  # type: ignore[valid-type]
    remote_id: str | None
    post_id: int | None = Field(description="Postgate's post, for an edit or a deletion.")
    url: str | None
    text: str
    visibility: str | None
    at: Time
    detected_at: Time
    via: one_of(("stream", "poll"))  # type: ignore[valid-type]
    froze: bool = Field(description="Whether this alert froze the account.")
    changed: list[str]
    acknowledged_at: Time | None
    acknowledged_by: str | None
    takedown: TakedownFromHere


class AlertPage(Answer):
    alerts: list[Alert]
    unacknowledged: int
    next_before: int | None = Field(description="Give it as `before` for older alerts.")


class AccountWatch(Answer):
    account: str
    auto_freeze: bool
    mode: str | None = Field(description="`stream` or `poll`: how the watch last read it.")
    checked_at: Time | None
    problem: str | None


class AlertFilter(Query):
    account: AccountName | None = None  # type: ignore[valid-type]
    unacknowledged: bool = False
    limit: int = Field(default=50, ge=1, le=200)
    before: int | None = Field(default=None, ge=1, le=INT_MAX, description="An alert id.")


class WatchSettings(SteppedUp):
    auto_freeze: bool = Field(description="Freeze the account as soon as the watch alerts.")


@bp.operation(
    "GET",
    "/alerts",
    query=AlertFilter,
    roles=policy.RUN_CONSOLE,
    answers={200: AlertPage},
    errors=(404,),
)
def list_alerts(query: AlertFilter) -> dict[str, Any]:
    """Newest first."""
    with rt().store.session() as db:
        found = watch_alerts.list_alerts(
            db,
            account=query.account,
            unacknowledged=query.unacknowledged,
            limit=query.limit,
            before=query.before,
        )
        return {
            "alerts": [watch_alerts.alert_to_dict(db, a) for a in found],
            "unacknowledged": watch_alerts.unacknowledged_count(db),
            "next_before": found[-1].id if len(found) == query.limit else None,
        }


@bp.operation("GET", "/alerts/<id:alert_id>", roles=policy.RUN_CONSOLE, answers={200: Alert})
def get_alert(alert_id: int) -> dict[str, Any]:
    with rt().store.session() as db:
        return watch_alerts.alert_to_dict(db, watch_alerts.load_alert(db, alert_id))


@bp.operation(
    "POST", "/alerts/<id:alert_id>/acknowledge", roles=policy.RUN_CONSOLE, answers={200: Alert}
)
def acknowledge(alert_id: int) -> dict[str, Any]:
    """Say the alert was seen (audited); acknowledging again changes nothing."""
    with rt().store.transaction() as db:
        alert = watch_alerts.acknowledge(rt(), db, caller(db), alert_id, source=source_address())
        return watch_alerts.alert_to_dict(db, alert)


@bp.operation(
    "GET", "/accounts/<name:name>/watch", roles=policy.RUN_CONSOLE, answers={200: AccountWatch}
)
def get_watch(name: str) -> dict[str, Any]:
    with rt().store.session() as db:
        return watch_alerts.watch_to_dict(db, find_account(db, name))


@bp.operation(
    "PUT",
    "/accounts/<name:name>/watch",
    body=WatchSettings,
    roles=policy.RUN_CONSOLE,
    step_up=True,
    answers={200: AccountWatch},
)
def set_watch(name: str, body: WatchSettings) -> dict[str, Any]:
    """Turn the automatic freeze on alert on or off (off by default; audited)."""
    with rt().store.transaction() as db:
        account = watch_alerts.set_auto_freeze(
            rt(), db, caller(db), name, body.auto_freeze, source=source_address()
        )
        return watch_alerts.watch_to_dict(db, account)
