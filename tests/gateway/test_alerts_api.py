"""``/api/v1/alerts`` and ``/api/v1/accounts/{name}/watch``: the watch's alerts with their
evidence and the takedown they offer, acknowledged and audited; the automatic freeze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from postgate.services import watch
from postgate.states import AlertKind
from tests.helpers import make_account

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def alert(rt, kind=AlertKind.UNAUTHORIZED_POST, remote_id="1", at=T0, **fields):
    finding = watch.Finding(
        kind=kind,
        at=at,
        remote_id=remote_id,
        text=f"text {remote_id}",
        url=f"https://social.example/@acme/{remote_id}",
        **fields,
    )
    with rt.store.session() as db:
        account_id = db.scalar(select(watch.Account.id).where(watch.Account.name == "acme"))
    return watch.raise_alert(rt, account_id, finding, via="stream")


@pytest.fixture
def lead(rt, actors):
    make_account(rt, "acme")
    return actors.person("lead", "security")


def test_alerts_are_listed_newest_first_with_their_evidence_and_takedown(rt, client, lead):
    first = alert(rt, remote_id="10", at=T0)
    alert(rt, kind=AlertKind.PROFILE_CHANGED, remote_id="", at=T0 + timedelta(minutes=5))
    third = alert(rt, remote_id="11", at=T0 + timedelta(minutes=9))
    assert alert(rt, remote_id="11", at=T0 + timedelta(minutes=9)) is None  # seen twice: one
    page = client.get("/api/v1/alerts", headers=lead.headers).get_json()
    assert [a["id"] for a in page["alerts"]] == [third, third - 1, first]
    assert page["unacknowledged"] == 3 and page["next_before"] is None
    newest = page["alerts"][0]
    assert newest["kind"] == "unauthorized_post" and newest["text"] == "text 11"
    assert newest["url"] == "https://social.example/@acme/11" and newest["via"] == "stream"
    assert newest["at"] == (T0 + timedelta(minutes=9)).isoformat()
    # take down from here: just before the first unauthorized post still unacknowledged
    assert newest["takedown"] == {
        "accounts": ["acme"],
        "since": (T0 - timedelta(seconds=1)).isoformat(),
    }
    one = client.get("/api/v1/alerts?limit=1", headers=lead.headers).get_json()
    assert one["next_before"] == third
    older = client.get(f"/api/v1/alerts?before={third}", headers=lead.headers).get_json()
    assert [a["id"] for a in older["alerts"]] == [third - 1, first]


def test_acknowledging_is_audited_once_and_moves_the_takedown_window(rt, client, lead):
    from postgate.store.models import AuditEntry

    first = alert(rt, remote_id="10", at=T0)
    later = alert(rt, remote_id="11", at=T0 + timedelta(hours=1))
    answer = client.post(f"/api/v1/alerts/{first}/acknowledge", headers=lead.headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["acknowledged_by"] == "lead" and body["acknowledged_at"]
    client.post(f"/api/v1/alerts/{first}/acknowledge", headers=lead.headers)
    with rt.store.session() as db:
        acks = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "alert:acknowledge")))
    assert [e.target for e in acks] == [f"alert:{first}"]
    shown = client.get(f"/api/v1/alerts/{later}", headers=lead.headers).get_json()
    assert shown["takedown"]["since"] == (T0 + timedelta(hours=1, seconds=-1)).isoformat()
    open_only = client.get("/api/v1/alerts?unacknowledged=true", headers=lead.headers).get_json()
    assert [a["id"] for a in open_only["alerts"]] == [later] and open_only["unacknowledged"] == 1


def test_the_automatic_freeze_is_off_by_default_and_set_with_2fa(rt, client, lead):
    from postgate.store.models import AuditEntry, Freeze

    shown = client.get("/api/v1/accounts/acme/watch", headers=lead.headers).get_json()
    assert shown == {
        "account": "acme",
        "auto_freeze": False,
        "mode": None,
        "checked_at": None,
        "problem": None,
    }
    alert(rt, remote_id="1")
    with rt.store.session() as db:
        assert db.scalar(select(Freeze)) is None
    refused = client.put(
        "/api/v1/accounts/acme/watch",
        json={"auto_freeze": True, "otp": "000000"},
        headers=lead.headers,
    )
    assert refused.status_code == 401
    answer = client.put(
        "/api/v1/accounts/acme/watch",
        json={"auto_freeze": True, "otp": lead.code()},
        headers=lead.headers,
    )
    assert answer.status_code == 200 and answer.get_json()["auto_freeze"] is True
    alert(rt, remote_id="2")
    with rt.store.session() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "account:watch-settings"))
        assert entry.details == {"auto_freeze": True} and entry.actor == "lead"
        assert db.scalar(select(Freeze)).account.name == "acme"
    froze = client.get("/api/v1/alerts?limit=1", headers=lead.headers).get_json()["alerts"][0]
    assert froze["froze"] is True


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/alerts?limit=0", 422, "limit"),
        ("/api/v1/alerts?limit=x", 422, "limit"),
        ("/api/v1/alerts?account=nobody", 404, "account"),
        ("/api/v1/alerts?before=-1", 422, "before"),
        ("/api/v1/alerts/99", 404, "id"),
        ("/api/v1/accounts/nobody/watch", 404, "account"),
    ],
)
def test_bad_requests_name_the_field(client, lead, url, status, field):
    answer = client.get(url, headers=lead.headers)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["field"] == field


def test_a_setting_that_is_not_a_boolean_is_refused(client, lead):
    answer = client.put(
        "/api/v1/accounts/acme/watch", json={"auto_freeze": "yes"}, headers=lead.headers
    )
    assert answer.status_code == 422 and answer.get_json()["field"] == "auto_freeze"


def test_authors_may_not_see_alerts(client, actors, lead):
    author = actors.person("alice", "author")
    assert client.get("/api/v1/alerts", headers=author.headers).status_code == 403


def test_the_incident_report_says_when_the_watch_saw_it(rt, client, web, lead):
    """Time to detect belongs in the post-mortem: the watch's alerts on the takedown's
    accounts are lines of the report's timeline, the first one in its summary (JSON,
    Markdown, and the page in the reader's language); an alert on another account is not."""
    make_account(rt, "other")
    now = datetime.now(UTC)
    alert(rt, remote_id="66", at=now - timedelta(minutes=3))
    with rt.store.session() as db:
        other_id = db.scalar(select(watch.Account.id).where(watch.Account.name == "other"))
    elsewhere = watch.Finding(kind=AlertKind.UNAUTHORIZED_POST, at=now, remote_id="9", text="x")
    watch.raise_alert(rt, other_id, elsewhere, via="poll")
    started = client.post(
        "/api/v1/takedowns",
        json={"accounts": ["acme"], "since": (now - timedelta(hours=1)).isoformat()},
        headers=lead.headers,
    )
    assert started.status_code in (201, 202), started.get_json()
    url = f"/api/v1/takedowns/{started.get_json()['id']}/report"

    report = client.get(url, headers=lead.headers).get_json()
    seen = [e for e in report["timeline"] if e["event"] == "watch.alert"]
    assert [e["summary"] for e in seen] == [
        "the watch saw a post Postgate did not publish on acme (66, via stream): text 66"
    ]
    assert report["summary"]["first_alert_at"] == seen[0]["at"]
    assert report["summary"]["first_alert_at"] < report["summary"]["takedown_started_at"]
    markdown = client.get(url + "?format=markdown", headers=lead.headers).get_data(as_text=True)
    assert "- First alert from the watch: 20" in markdown and "(66, via stream)" in markdown

    web.login(lead, lang="fr")
    page = client.get(f"/security/takedowns/{started.get_json()['id']}/report")
    text = page.get_data(as_text=True)
    assert "Première alerte de la surveillance" in text
    assert "la surveillance a vu sur acme une publication que Postgate n\u2019a pas faite" in text
