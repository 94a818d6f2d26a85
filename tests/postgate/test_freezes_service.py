"""Freezes as the service keeps them, without HTTP (invariant 7): global or per account, in
force from their commit until lifted, repeated harmlessly, lifted by exact scope, and what
they stop."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from postgate.errors import Conflict, NotFound, ValidationFailed
from postgate.services.freezes import (
    active_freezes,
    freeze_blocks,
    is_frozen,
    lift_freeze,
    set_freeze,
)
from postgate.store.models import Post
from tests.postgate.service_people import account, actions, people, submitted, user


@pytest.fixture
def scene(rt):
    ids = {name: account(rt, name) for name in ("acme", "beta")}
    people(rt, ana=("author",), sol=("security",))
    return rt, ids


def _freeze(rt, name: str | None, reason: str = "incident"):
    with rt.store.transaction() as db:
        result = set_freeze(rt, db, user(db, "sol"), name, reason)
        return result.created, result.freeze.id


def _lift(rt, name: str | None) -> list[int]:
    with rt.store.transaction() as db:
        return [f.id for f in lift_freeze(rt, db, user(db, "sol"), name)]


def test_a_global_freeze_covers_every_account_and_is_audited(scene) -> None:
    rt, ids = scene
    created, freeze_id = _freeze(rt, None)
    assert created
    with rt.store.session() as db:
        assert all(is_frozen(db, aid) for aid in ids.values())
    assert actions(rt, f"freeze:{freeze_id}") == ["freeze:set"]


def test_an_account_freeze_covers_that_account_only(scene) -> None:
    rt, ids = scene
    _freeze(rt, "acme")
    with rt.store.session() as db:
        assert is_frozen(db, ids["acme"]) and not is_frozen(db, ids["beta"])


def test_freezing_again_the_same_scope_returns_the_freeze_in_force(scene) -> None:
    rt, _ = scene
    first = _freeze(rt, "acme", "first")
    again = _freeze(rt, "acme", "second")
    assert first[0] and not again[0] and again[1] == first[1]
    assert actions(rt).count("freeze:set") == 1


def test_lifting_is_by_exact_scope_a_global_lift_leaves_account_freezes(scene) -> None:
    rt, ids = scene
    _, global_id = _freeze(rt, None)
    _, acme_id = _freeze(rt, "acme")
    assert _lift(rt, None) == [global_id]
    with rt.store.session() as db:
        assert is_frozen(db, ids["acme"]) and not is_frozen(db, ids["beta"])
        assert [f.id for f in active_freezes(db)] == [acme_id]
    assert _lift(rt, "acme") == [acme_id]
    with pytest.raises(Conflict):
        _lift(rt, "acme")


def test_a_freeze_needs_a_reason_and_a_known_account(scene) -> None:
    rt, _ = scene
    with pytest.raises(ValidationFailed) as no_reason:
        _freeze(rt, "acme", "   ")
    assert no_reason.value.field == "reason"
    with pytest.raises(NotFound):
        _freeze(rt, "nowhere")
    assert "freeze:set" not in actions(rt)


def test_a_freeze_stops_ordinary_posts_but_not_a_crisis_statement(scene) -> None:
    rt, _ = scene
    ordinary, statement = submitted(rt, "ana"), submitted(rt, "ana")
    with rt.store.transaction() as db:
        db.execute(update(Post).where(Post.id == statement).values(crisis_statement=True))
    with rt.store.session() as db:
        assert freeze_blocks(db, db.get(Post, ordinary)) is None
    _freeze(rt, "acme")
    with rt.store.session() as db:
        assert freeze_blocks(db, db.get(Post, ordinary))
        assert freeze_blocks(db, db.get(Post, statement)) is None


def test_the_freeze_names_the_posts_a_worker_already_holds(scene) -> None:
    rt, _ = scene
    held = submitted(rt, "ana")
    with rt.store.transaction() as db:
        db.execute(update(Post).where(Post.id == held).values(status="publishing"))
    with rt.store.transaction() as db:
        result = set_freeze(rt, db, user(db, "sol"), None, "incident")
        assert [p.id for p in result.in_flight] == [held]
