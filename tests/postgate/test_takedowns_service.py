"""Starting a takedown as the service does it, without HTTP or workers: the accounts are
frozen and sessions ended before it answers, a second press joins and never narrows, and a
bad request changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from postgate.errors import NotFound, ValidationFailed
from postgate.services.freezes import is_frozen
from postgate.services.sessions import create_api_token
from postgate.services.takedowns import start_takedown
from postgate.store.models import AuthToken, Takedown
from tests.postgate.service_people import account, actions, people, user

SINCE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def scene(rt):
    ids = {name: account(rt, name) for name in ("acme", "beta")}
    people(rt, sol=("security",), ana=("author",), bob=("author",))
    with rt.store.transaction() as db:
        tokens = {
            n: create_api_token(rt, db, user(db, n), "t").token.id for n in ("sol", "ana", "bob")
        }
    return rt, ids, tokens


def _start(rt, accounts=None, since=SINCE, users=None, keep=None):
    with rt.store.session() as db:
        sol = user(db, "sol").id
    return start_takedown(rt, sol, keep, accounts, since, users)


def _live_tokens(rt) -> set[int]:
    with rt.store.session() as db:
        return set(db.scalars(select(AuthToken.id).where(AuthToken.revoked_at.is_(None))))


def test_a_takedown_freezes_its_accounts_and_ends_every_session_but_the_callers(scene) -> None:
    rt, ids, tokens = scene
    start = _start(rt, ["acme"], keep=tokens["sol"])
    assert start.created and start.joined == [] and start.sessions_ended == 2
    assert _live_tokens(rt) == {tokens["sol"]}
    with rt.store.session() as db:
        assert is_frozen(db, ids["acme"]) and not is_frozen(db, ids["beta"])
        takedown = db.get(Takedown, start.takedown.id)
        assert takedown.status == "running" and takedown.account_ids == [ids["acme"]]
    assert {"takedown:start", "freeze:set", "token:revoke"} <= set(actions(rt))


def test_users_limits_whose_sessions_end(scene) -> None:
    rt, _, tokens = scene
    assert _start(rt, ["acme"], users=["ana"]).sessions_ended == 1
    assert _live_tokens(rt) == {tokens["sol"], tokens["bob"]}


def test_a_second_press_joins_widens_to_an_earlier_since_and_never_narrows(scene) -> None:
    rt, _, _ = scene
    first = _start(rt, ["acme"])
    later = _start(rt, ["acme"], since=SINCE + timedelta(hours=1))
    assert not later.created and later.joined == [first.takedown.id] and later.widened == []
    earlier = _start(rt, ["acme"], since=SINCE - timedelta(hours=1))
    assert earlier.joined == [first.takedown.id] and earlier.widened == ["acme"]
    with rt.store.session() as db:
        assert len(db.scalars(select(Takedown)).all()) == 1


def test_a_press_on_a_covered_and_a_new_account_joins_one_and_starts_another(scene) -> None:
    rt, ids, _ = scene
    first = _start(rt, ["acme"])
    both = _start(rt, ["acme", "beta"])
    assert both.created and both.joined == [first.takedown.id]
    with rt.store.session() as db:
        assert db.get(Takedown, both.takedown.id).account_ids == [ids["beta"]]


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ({"accounts": ["nowhere"]}, NotFound),
        ({"accounts": []}, ValidationFailed),
        ({"users": ["nobody"]}, ValidationFailed),
        ({"since": datetime.now(UTC) + timedelta(days=1)}, ValidationFailed),
    ],
)
def test_a_bad_request_changes_nothing(scene, request_, error) -> None:
    rt, ids, tokens = scene
    with pytest.raises(error):
        _start(rt, **{"accounts": ["acme"], **request_})
    with rt.store.session() as db:
        assert db.scalars(select(Takedown)).all() == []
        assert not any(is_frozen(db, aid) for aid in ids.values())
    assert _live_tokens(rt) == set(tokens.values())
