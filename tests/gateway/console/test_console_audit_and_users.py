"""The audit log in the console (filters, chain status, paging) and revoking users."""

from __future__ import annotations

import re

from postgate.store.models import AuditEntry, User
from tests.helpers import error_next_to, make_account


def test_audit_log_filters_and_shows_the_chain_status(client, web, rt, sam) -> None:
    make_account(rt, "acme")
    web.submit("/security/freeze", {"account": "acme", "reason": "account hacked"})
    body = client.get("/security/audit").get_data(as_text=True)
    assert "state-ok" in body and "freeze:set" in body and "session:login" in body
    body = client.get("/security/audit?action=freeze").get_data(as_text=True)
    assert "freeze:set" in body and "<code>session:login</code>" not in body
    body = client.get("/security/audit?actor=nobody").get_data(as_text=True)
    assert "No entry matches" in body
    with rt.store.transaction() as db:
        entry = db.query(AuditEntry).filter(AuditEntry.action == "freeze:set").one()
        entry.details = {"reason": "nothing happened"}
    body = client.get("/security/audit").get_data(as_text=True)
    assert "state-frozen" in body and f"Chain broken at entry {entry.seq}" in body


def test_audit_log_pages_back_in_time(client, web, rt, sam) -> None:
    body = client.get("/security/audit").get_data(as_text=True)
    assert "Older entries" not in body
    for _ in range(30):
        web.submit("/security/freeze", {"reason": "x"})
        web.submit("/security/freeze/lift", {"lift-account": ""})
    body = client.get("/security/audit").get_data(as_text=True)
    older = re.search(r'href="(/security/audit\?before=\d+)"', body)
    assert older
    assert client.get(older.group(1).replace("&amp;", "&")).status_code == 200


def test_security_lead_revokes_a_user(client, web, rt, actors, sam) -> None:
    ana = actors.person("ana", "author")
    body = client.get("/security/users").get_data(as_text=True)
    assert "ana" in body and 'action="/security/users/revoke"' in body
    assert 'action="/security/users/new"' not in body  # admins only
    response = web.submit("/security/users/revoke", {"revoke-username": "ana"})
    assert response.status_code == 302
    with rt.store.session() as db:
        assert db.query(User).filter_by(username="ana").one().disabled
    assert client.get("/api/v1/me", headers=ana.headers).status_code == 401


def test_revoking_oneself_is_refused(client, web, rt, actors, sam) -> None:
    actors.create("ana", "author")
    response = web.submit("/security/users/revoke", {"revoke-username": "sam"})
    assert response.status_code == 422  # only others are offered (the service refuses too)
    assert error_next_to(response.get_data(as_text=True), "revoke-username")
    with rt.store.session() as db:
        assert not db.query(User).filter_by(username="sam").one().disabled
