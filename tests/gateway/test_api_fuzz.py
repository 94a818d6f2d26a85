"""Schemathesis against the whole ``/api/v1``, in process, on SQLite: valid and invalid
requests generated from ``/api/v1/openapi.json`` never get a 500, and every answer matches
the description (status code, content type, headers, body schema), as Schemathesis checks.
The PostgreSQL pass leaves it out: where the stores refuse input differently (NUL bytes,
integer ranges, lengths), tests/gateway/test_hostile_routes.py sends those edges to every
route on PostgreSQL, at a fraction of the cost (a store built per operation took the
PostgreSQL pass about six minutes of a worker's time).

Each operation gets a store of its own holding accounts (one frozen by a running takedown),
posts in several states, users, tokens and a takedown with an item; generated ids and names
are mostly swapped for ones that exist, and body fields for values the services' own rules
take (an existing account, a time next month), so requests reach the code behind the 404s
and 422s. Every request carries a live token of a user holding every role, or of one holding
none, whose session proved a TOTP code: a generated logout, revocation or takedown that ends
it gets it replaced before the next request, and sensitive actions get past the step-up.

Bounded for CI: ``MAX_EXAMPLES`` cases per operation and generation mode (valid, invalid),
plus Schemathesis's coverage cases (the edges of each declared limit); docs/api.md has the
figures. ``POSTGATE_FUZZ_EXAMPLES=500`` explores further on a developer's machine.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation.meta import CoveragePhaseData
from sqlalchemy import select

from gateway.api.openapi import standalone
from postgate.errors import NotAuthenticated
from postgate.services import posts, sessions, takedowns
from postgate.store.models import ROLES, Account, TakedownItem, User
from postgate.store.types import utcnow
from tests.helpers import Actors

# 25: the cases are the same every run (derandomised), so they guard against regressions
# rather than explore; 50 cost the suite's longest pass about 40 s more.
MAX_EXAMPLES = int(os.environ.get("POSTGATE_FUZZ_EXAMPLES", "25"))
pytestmark = pytest.mark.store_neutral  # see above: the PostgreSQL pass leaves it out
CALLERS = ("everything", "nothing")  # the roles they hold: all four, or none at all
# What the store of each operation holds (World checks it): most generated path parameters
# become one of these, a few stay as generated (mostly a 404).
POOLS: dict[str, list[Any]] = {
    "post_id": [*range(1, 8), 999],
    "takedown_id": [1, 999],
    "token_id": [1, 2, 999],
    "username": ["everything", "nothing", "vic", "rev", "ghost"],
    "name": ["acme", "beta", "gamma"],
}
_NOW = datetime.now(UTC).replace(tzinfo=None)
_TIMES = st.datetimes(min_value=_NOW - timedelta(days=30), max_value=_NOW + timedelta(days=60))
# Body fields, with values that exist or that the services' own rules take: a valid case
# carries each of these half the time instead of what was generated.
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "account": st.sampled_from(["acme", "beta"]),
    "text": st.sampled_from(["Bonjour à tous", "Nos soldes: -20 % sur tout"]),
    "reason": st.just("compte compromis"),
    "accounts": st.lists(st.sampled_from(["acme", "beta"]), min_size=1, max_size=2, unique=True),
    "users": st.lists(st.sampled_from(["vic", "rev"]), min_size=1, max_size=2, unique=True),
    "roles": st.lists(st.sampled_from(ROLES), min_size=1, max_size=4, unique=True),
    "username": st.from_regex(r"[a-z][a-z0-9]{2,12}", fullmatch=True),
    "password": st.just("Tabled-Quince-Ripple-83"),
    "since": _TIMES.map(lambda t: t.replace(tzinfo=UTC).isoformat()),
    "scheduled_at": _TIMES.map(lambda t: t.replace(tzinfo=UTC).isoformat()),
    "timezone": st.sampled_from(["Europe/Paris", "UTC", "America/New_York"]),
    "windows": st.lists(st.sampled_from(["mon-fri 08:00-20:00", "sat 10:00-14:00"]), max_size=2),
    "blackout_dates": st.lists(st.dates().map(lambda d: d.isoformat()), max_size=2),
    "approvals_required": st.integers(1, 5),
}
_LEFT_OUT = object()


class World:
    """The store one operation's requests reach, and tokens minted for them."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt
        self.answers: Counter[int] = Counter()
        self.tokens: dict[str, str] = {}
        actors = Actors(rt)
        roles = {"everything": ROLES, "rev": ("reviewer",)}
        for name in ("everything", "nothing", "vic", "rev"):
            actors.create(name, *roles.get(name, ("author",)))
        with rt.store.transaction() as db:
            _user(db, "nothing").roles = ""  # a user holding no role at all
            for name in ("acme", "beta"):
                db.add(Account(name=name, platform="sandbox", base_url="http://127.0.0.1:1"))
        assert self._posts() == POOLS["post_id"][:-1]
        assert self._takedown() == 1
        assert [self._token("vic"), self._token("everything")] == [1, 2]

    def _posts(self) -> list[int]:
        """Posts of two authors, pending review or blocked; one on the account to freeze."""
        made = []
        drafts = [
            ("vic", "acme", "Nos soldes commencent demain"),
            ("vic", "acme", "Appelez le 06 12 34 56 78"),  # personal data: flagged
            ("vic", "acme", "Bonjour"),
            ("everything", "acme", "Nos soldes commencent demain"),
            ("everything", "acme", "Bonjour à tous"),
            ("everything", "acme", "Appelez le 06 12 34 56 78"),
            ("vic", "beta", "Nous revenons vite"),
        ]
        with self.rt.store.transaction() as db:
            for author, account, text in drafts:
                post = posts.submit(self.rt, db, _user(db, author), account, text, None)
                db.flush()
                made.append(post.id)
        return made

    def _takedown(self) -> int:
        """A takedown running on ``beta`` (so ``beta`` is frozen), with one item found."""
        with self.rt.store.session() as db:
            lead = _user(db, "everything").id
        since = utcnow() - timedelta(hours=1)
        start = takedowns.start_takedown(self.rt, lead, None, ["beta"], since, ["vic"])
        with self.rt.store.transaction() as db:
            beta = db.scalar(select(Account).where(Account.name == "beta"))
            db.add(
                TakedownItem(
                    takedown_id=start.takedown.id,
                    account_id=beta.id,
                    remote_id="110000000000000001",
                    origin="unauthorized",
                    evidence={"text": "Free money!", "created_at": utcnow().isoformat()},
                )
            )
        return start.takedown.id

    def _token(self, username: str) -> int:
        return self._mint(username).token.id

    def _mint(self, username: str) -> sessions.IssuedToken:
        """An API token whose session proved a TOTP code just now."""
        with self.rt.store.transaction() as db:
            issued = sessions.create_api_token(self.rt, db, _user(db, username), "fuzz", 1)
            issued.token.step_up_at = utcnow()
            return issued

    def bearer(self, username: str) -> dict[str, str]:
        """The caller's token, a new one when a request ended the last (a logout, a takedown,
        a revocation) or its step-up went stale."""
        value = self.tokens.get(username)
        if value is None or not self._live(value):
            value = self.tokens[username] = self._mint(username).value
        return {"Authorization": f"Bearer {value}"}

    def _live(self, value: str) -> bool:
        with self.rt.store.session() as db:
            try:
                _user_of, token = sessions.authenticate(db, value)
            except NotAuthenticated:
                return False
            return sessions.step_up_fresh(self.rt, token)


def _user(db: Any, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


@pytest.fixture
def world(rt):
    world = World(rt)
    yield world
    # The pools must keep working: an operation with ids that only ever answered 404 (or
    # 405, for the methods the checks try) has not been tested at all.
    assert set(world.answers) - {404, 405}, dict(world.answers)


schema = schemathesis.openapi.from_dict(standalone())
schema.config.update(base_url="http://localhost/api/v1")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    with_security_parameters=False,  # each request gets a real token; the checks probe without
)


@schema.hook
def flatmap_case(context, case):
    """Existing ids, names and field values for the valid parts of a case, and a caller."""
    path = {
        name: st.sampled_from(POOLS[name])
        for name in (case.path_parameters or {})
        if name in POOLS and not _negative(case, "path")
    }
    body = case.body if isinstance(case.body, dict) and not _negative(case, "body") else {}
    fields = {
        name: st.one_of(st.just(value), FIELDS[name]) if name in FIELDS else st.just(value)
        for name, value in body.items()
        if name != "otp"
    }
    if "otp" in body:  # mostly left out: the token proved a code, and wrong ones lock it
        fields["otp"] = st.sampled_from([body["otp"], _LEFT_OUT, _LEFT_OUT])
    drawn = st.tuples(
        st.fixed_dictionaries(path), st.fixed_dictionaries(fields), st.sampled_from(CALLERS)
    )
    return drawn.map(lambda parts: _applied(case, *parts))


def _negative(case: Any, location: str) -> bool:
    """Whether Schemathesis made this part of the case invalid on purpose (left as it is)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    return any(
        loc.name.lower() == location and info.mode.is_negative
        for loc, info in meta.components.items()
    )


def _applied(case: Any, path: dict[str, Any], fields: dict[str, Any], caller: str) -> Any:
    case.path_parameters = {**(case.path_parameters or {}), **path}
    if fields:
        case.body = {name: value for name, value in fields.items() if value is not _LEFT_OUT}
    case.headers = {**(case.headers or {}), "X-Fuzz-Caller": caller}
    return case


def _withholds_auth(case: Any) -> bool:
    """Whether Schemathesis left the token out on purpose, to see the 401."""
    data = case.meta.phase.data if case.meta is not None else None
    return isinstance(data, CoveragePhaseData) and (data.parameter or "").lower() == "authorization"


@schema.parametrize()
@settings(  # over the suite's profile (tests/conftest.py): derandomized, no example database
    max_examples=MAX_EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # one store per operation, shared by its cases
def test_the_api_holds_to_its_description(case, app, world):
    caller = (case.headers or {}).pop("X-Fuzz-Caller", CALLERS[0])  # coverage cases: no hook
    token = {} if _withholds_auth(case) else world.bearer(caller)
    case.operation.schema.app = app  # this test's app, also for the probes the checks send
    # A value the schema allows may still break a rule no schema can hold (a name taken, a
    # time in the past): 422 is the contract's answer there, so "schema-valid means 2xx" is
    # the one check left out. Every other check of Schemathesis runs.
    response = case.call_and_validate(
        app=app, headers=token, excluded_checks=[positive_data_acceptance]
    )
    world.answers[response.status_code] += 1
