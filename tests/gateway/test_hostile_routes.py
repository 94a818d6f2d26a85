"""A guard over the whole API: every route, walked with hostile payloads, never answers 500.

Routes are read from the app itself, so a new endpoint is covered the day it is added. Each
gets hostile path parameters, hostile query parameters, malformed bodies, and bodies where
the fields its module reads get hostile values one at a time, on top of plausible values
for the rest (so parsing gets past the first required field). The caller holds every role
and a fresh step-up, so refusals for lack of a role do not hide what lies behind them.
Every 4xx must carry the API's JSON error body.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, update

from gateway.api.operations import operation_of
from postgate.services import sessions
from postgate.store.models import AuthToken, User
from postgate.store.types import utcnow
from tests.helpers import make_account

FIELDS = (
    "account accounts acknowledge approvals approvals_required base_url blackout_dates "
    "content_hash credentials days exclude include_postgate live_url media name not_published "
    "otp password platform reason roles scheduled_at since text timezone token username users "
    "windows"
).split()
PLAUSIBLE = {
    "account": "acme",
    "accounts": ["acme"],
    "name": "guard",
    "platform": "sandbox",
    "reason": "drill",
    "since": "2026-01-01T00:00:00Z",
    "text": "hello",
    "username": "victim",
}
HOSTILE = [
    "nul\x00byte",
    "crlf\r\nSet-Cookie: a=b",
    "a" * 5000,
    "<img src=x onerror=alert(1)>",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    2**31,
    2**63,
    -(2**63),
    1e308,
    True,
    [{"$ne": 1}],
    {"$gt": ""},
    {"a": {"b": {"c": {"d": [[[[[[["deep"]]]]]]]}}}},
]
RAW_BODIES = [
    b"[" * 50_000 + b"]" * 50_000,
    b'{"text": "\\ud800", "account": "acme"}',
    b'{"days": NaN, "text": Infinity}',
    b'{"text": "\xff\xfe"}',
    b"[1, 2, 3]",
    b'"just a string"',
    b"{not json",
]
PATH_VALUES = {"int": ["1", str(2**31), str(2**63), "-1"], "default": ["victim", "a" * 65, "%00"]}
QUERY_NAMES = ("status", "after", "limit", "action", "actor", "target", "format", "cursor")


def _issue(rt, username: str) -> dict[str, str]:
    """A bearer token with a fresh step-up, made in the store (login is not under test)."""
    with rt.store.transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        db.execute(update(User).where(User.id == user.id).values(disabled=False))
        issued = sessions.create_api_token(rt, db, user, "guard", 1)
        db.execute(
            update(AuthToken).where(AuthToken.id == issued.token.id).values(step_up_at=utcnow())
        )
    return {"Authorization": f"Bearer {issued.value}"}


def _routes(app) -> list[tuple[str, object]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule))
    return sorted(found, key=lambda pair: (pair[1].rule, pair[0]))


def _paths(rule) -> list[str]:
    """The rule's path with plausible parameters, then each parameter hostile in turn."""
    kinds = {name: type(conv).__name__ for name, conv in rule._converters.items()}

    def value(name: str, index: int) -> str:
        key = "int" if "Integer" in kinds[name] or "Id" in kinds[name] else "default"
        return PATH_VALUES[key][index]

    paths = [re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: value(m.group(1), 0), rule.rule)]
    for name in kinds:
        for index in range(1, 4 if "Integer" in kinds[name] or "Id" in kinds[name] else 3):
            paths.append(
                re.sub(
                    r"<(?:[^:>]+:)?([^>]+)>",
                    lambda m, n=name, i=index: value(m.group(1), i if m.group(1) == n else 0),
                    rule.rule,
                )
            )
    return paths


def _fields_read_by(app, rule) -> list[str]:
    """The body fields the route's declaration reads (``gateway.api.operations``)."""
    declared = operation_of(app.view_functions[rule.endpoint])
    return list(declared.body.model_fields) if declared and declared.body else []


def _payloads(app, method: str, rule) -> list[dict]:
    """Request keyword arguments: query strings for reads, bodies for writes."""
    if method in ("GET", "DELETE"):
        queries = [
            {name: str(v) for name in QUERY_NAMES}
            for v in HOSTILE
            if not isinstance(v, dict | list)
        ]
        return [{"query_string": q} for q in queries]
    bodies = [{"data": raw, "content_type": "application/json"} for raw in RAW_BODIES]
    bodies += [{"json": {name: value for name in FIELDS}} for value in HOSTILE]
    for name in _fields_read_by(app, rule):
        bodies += [{"json": {**PLAUSIBLE, name: value}} for value in HOSTILE]
    return bodies


# PostgreSQL refuses more (NUL, integer ranges); on SQLite, Schemathesis sends each limit's edges.
@pytest.mark.postgresql_pass
def test_every_api_route_answers_hostile_input_with_a_4xx_never_a_500(rt, app, actors) -> None:
    make_account(rt, "acme")
    actors.create("victim", "author")
    actors.create("boss", "author", "reviewer", "security", "admin")
    client = app.test_client()
    headers = _issue(rt, "boss")
    server_errors, checked = [], 0
    for method, rule in _routes(app):
        base, *hostile_paths = _paths(rule)
        calls = [(base, kwargs) for kwargs in _payloads(app, method, rule)]
        calls += [(path, {"json": PLAUSIBLE}) for path in hostile_paths]
        for path, kwargs in calls:
            answer = client.open(path, method=method, headers=headers, **kwargs)
            if (answer.status_code == 401 and method != "POST") or answer.status_code == 401:
                headers = _issue(rt, "boss")  # a takedown or a logout ended the token
            checked += 1
            body = answer.get_json(silent=True)
            if answer.status_code >= 500:
                server_errors.append((method, path, str(kwargs)[:120], answer.status_code))
            elif answer.status_code >= 400:
                assert isinstance(body, dict) and {"error", "message"} <= set(body), (
                    method,
                    path,
                    answer.status_code,
                    answer.get_data(as_text=True)[:200],
                )
    assert not server_errors, json.dumps(server_errors[:20], indent=1)
    assert checked > 1000, checked


def test_the_route_walk_reaches_every_api_endpoint(app) -> None:
    """A guard that silently skipped endpoints would prove nothing."""
    endpoints = {rule.endpoint for _, rule in _routes(app)}
    assert {"api.posts.submit", "api.takedowns.start_takedown", "api.users.set_roles"} <= endpoints
    assert len(endpoints) >= 30
