"""The audit details the incident report reads have one shape, built by one function each,
and the report reads back exactly what those functions write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from postgate import audit_payloads as payloads
from postgate.audit import Event
from postgate.services.incident import _event
from postgate.states import ItemOrigin, ItemOutcome
from postgate.store.models import AuditEntry

SINCE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
EARLIER = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

BUILT = [
    (payloads.FreezeSet, payloads.freeze_set("acme", "takedown #1", [4, 5], 1)),
    (payloads.FreezeLift, payloads.freeze_lift(None, False)),
    (payloads.TakedownStart, payloads.takedown_start(["acme"], SINCE, [])),
    (payloads.TokensEnded, payloads.tokens_ended(3, None, 7, True, [])),
    (payloads.AccountTakedown, payloads.account_takedown(1, 2, EARLIER, EARLIER, SINCE, True)),
    (payloads.AccountCompromised, payloads.account_compromised(1, 2, SINCE, False, "")),
    (
        payloads.TakedownItem,
        payloads.takedown_item(
            "acme", "r1", ItemOrigin.UNAUTHORIZED, ItemOutcome.DELETED, "", None, None
        ),
    ),
    (payloads.ListingFailed, payloads.listing_failed("acme", "HTTP 500")),
    (
        payloads.WatchAlert,
        payloads.watch_alert(3, "acme", "edited", "r2", None, "Prix : 9 €", SINCE, "poll"),
    ),
]


@pytest.mark.parametrize(("shape", "details"), BUILT, ids=lambda v: getattr(v, "__name__", ""))
def test_each_builder_writes_exactly_its_declared_keys_as_plain_json(shape, details):
    declared = shape.__required_keys__ | shape.__optional_keys__
    assert set(details) - declared == set()
    assert shape.__required_keys__ <= set(details)
    assert json.loads(json.dumps(details)) == details
    assert all(type(v) in (str, int, bool, list, type(None)) for v in details.values())


def _summary(action: Event, target: str, details: Any) -> str | None:
    entry = AuditEntry(
        seq=1, at=SINCE, actor="sam", action=str(action), target=target, details=details
    )
    event = _event(entry, 1, {"acme"}, set())
    return None if event is None else event["summary"]


def test_the_incident_report_reads_what_the_builders_write():
    assert _summary(Event.FREEZE_SET, "freeze:1", BUILT[0][1]) == "acme frozen: takedown #1"
    assert _summary(Event.FREEZE_LIFT, "freeze:1", BUILT[1][1]) == "all accounts freeze lifted"
    assert _summary(Event.TAKEDOWN_START, "takedown:1", BUILT[2][1]) == (
        "takedown started on acme since 2026-11-30T09:00:00+00:00"
    )
    assert _summary(Event.TOKEN_REVOKE, "takedown:1", BUILT[3][1]) == (
        "3 sessions and API tokens ended (all)"
    )
    assert _summary(Event.ACCOUNT_TAKEDOWN, "account:acme", BUILT[4][1]) == (
        "account:acme: takedown requested again since 2026-11-29T09:00:00+00:00, window "
        "widened from 2026-11-30T09:00:00+00:00 to 2026-11-29T09:00:00+00:00 "
        "(credentials already revoked: delete the earlier posts by hand)"
    )
    assert _summary(Event.ACCOUNT_COMPROMISED, "account:acme", BUILT[5][1]) == (
        "account:acme: marked compromised, credentials NOT revoked "
        "the platform offers no revocation"
    )
    assert _summary(Event.TAKEDOWN_ITEM, "takedown:1", BUILT[6][1]) == (
        "unauthorized post r1 on acme: deleted"
    )
    assert _summary(Event.TAKEDOWN_ITEM, "takedown:1", BUILT[7][1]) == (
        "could not list acme: HTTP 500"
    )
    assert _summary(Event.WATCH_ALERT, "account:acme", BUILT[8][1]) == (
        "the watch saw a Postgate post edited on acme (r2, via poll): Prix : 9 €"
    )
    done = payloads.takedown_done([ItemOutcome.DELETED, ItemOutcome.DELETED, "failed"])
    assert _summary(Event.TAKEDOWN_DONE, "takedown:1", done) == (
        "takedown finished: deleted 2, failed 1"
    )


def test_entries_of_another_takedown_or_account_stay_out_of_the_report():
    other = payloads.account_compromised(9, 2, SINCE, True, "")
    assert _summary(Event.ACCOUNT_COMPROMISED, "account:acme", other) is None
    seen_elsewhere = payloads.watch_alert(
        4, "other", "unauthorized_post", "r3", None, "", SINCE, ""
    )
    assert _summary(Event.WATCH_ALERT, "account:other", seen_elsewhere) is None
    elsewhere = payloads.freeze_set("other", "why", [], None)
    assert _summary(Event.FREEZE_SET, "freeze:2", elsewhere) is None
