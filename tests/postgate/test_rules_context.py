"""What the rules' context reads from the store at each submission (issue 16 read it in one
Core statement, and a submission reads it with the account itself): a freeze set or lifted
since the last submission, the account's published posts within the duplicate window (not
another account's, not older ones, not the post being edited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from postgate.errors import NotFound
from postgate.services.checking import (
    _ACCOUNT_WITH_CONTEXT,
    _CONTEXT,
    account_for_rules,
    evaluate,
)
from postgate.services.freezes import lift_freeze, set_freeze
from postgate.services.posts import submit
from postgate.states import PostStatus
from postgate.store.models import Post
from postgate.store.types import utcnow
from tests.postgate.service_people import LATER, account, people, user
from tests.store_plans import plan

TEXT = "Notre atelier ouvre ses portes samedi matin, venez nombreux découvrir la collection."


@pytest.fixture
def scene(rt):
    account(rt, "acme")
    account(rt, "beta")
    people(rt, ana=("author",), sol=("security",))
    return rt


def _rules(rt, text: str, name: str = "acme") -> list[str]:
    with rt.store.transaction() as db:
        return [f["rule"] for f in submit(rt, db, user(db, "ana"), name, text, LATER).findings]


def _published(rt, text: str, name: str = "acme", days_ago: float = 1) -> int:
    with rt.store.transaction() as db:
        post = submit(rt, db, user(db, "ana"), name, text, LATER)
        post_id = post.id
    with rt.store.transaction() as db:
        db.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(status=PostStatus.PUBLISHED, published_at=utcnow() - timedelta(days=days_ago))
        )
    return post_id


def test_a_freeze_is_read_fresh_at_each_submission(scene) -> None:
    rt = scene
    assert "freeze" not in _rules(rt, "Bonjour à toutes et à tous.")
    with rt.store.transaction() as db:
        set_freeze(rt, db, user(db, "sol"), "acme", "incident")
    assert "freeze" in _rules(rt, "Bonjour à toutes et à tous.")
    assert "freeze" not in _rules(rt, "Bonjour à toutes et à tous.", "beta")
    with rt.store.transaction() as db:
        lift_freeze(rt, db, user(db, "sol"), "acme")
    assert "freeze" not in _rules(rt, "Bonjour à toutes et à tous.")
    with rt.store.transaction() as db:
        set_freeze(rt, db, user(db, "sol"), None, "everything")
    assert "freeze" in _rules(rt, "Bonjour à toutes et à tous.", "beta")


def test_duplicates_are_the_accounts_recent_published_posts_only(scene) -> None:
    rt = scene
    _published(rt, TEXT, "beta")
    _published(rt, TEXT, "acme", days_ago=30)  # outside the test settings' 7 days
    assert "duplicates" not in _rules(rt, TEXT)
    _published(rt, TEXT, "acme", days_ago=1)
    assert "duplicates" in _rules(rt, TEXT)


def test_an_edited_post_is_not_its_own_duplicate(scene) -> None:
    rt = scene
    post_id = _published(rt, TEXT, "acme")
    with rt.store.transaction() as db:
        post = db.get(Post, post_id)
        assert post is not None
        alone = evaluate(rt, db, post.account, TEXT, LATER, exclude_post=post_id)
        counted = evaluate(rt, db, post.account, TEXT, LATER)
    assert "duplicates" not in [f.rule for f in alone.findings]
    assert "duplicates" in [f.rule for f in counted.findings]


def test_the_context_read_with_the_account_is_the_one_an_evaluation_reads(scene) -> None:
    rt = scene
    first, second = TEXT, "Deuxième annonce : l'atelier ferme plus tôt ce samedi."
    _published(rt, first, "acme", days_ago=2)
    _published(rt, second, "acme", days_ago=1)
    _published(rt, "Un texte d'un autre compte.", "beta")
    with rt.store.transaction() as db:
        set_freeze(rt, db, user(db, "sol"), "acme", "incident")
    with rt.store.transaction() as db:
        account_, fresh = account_for_rules(rt, db, "ACME")  # names in any case
        assert account_.name == "acme" and fresh.frozen
        assert fresh.recent_posts == (second, first)  # newest first, this account's only
        alone = evaluate(rt, db, account_, first, LATER)  # reads the context itself
        given = evaluate(rt, db, account_, first, LATER, fresh=fresh)
    assert [f.rule for f in alone.findings] == [f.rule for f in given.findings]
    assert {"freeze", "duplicates"} <= {f.rule for f in given.findings}
    assert alone.version == given.version


def test_a_submission_to_an_unknown_account_is_refused_with_its_name(scene) -> None:
    rt = scene
    with rt.store.transaction() as db, pytest.raises(NotFound) as refused:
        account_for_rules(rt, db, "nowhere")
    assert refused.value.field == "account" and "nowhere" in str(refused.value)


def test_the_recent_posts_are_read_through_their_own_index(scene) -> None:
    """Every submission reads the account's recent published posts: through an index on the
    account, the status and the publication time, not by walking every post the account
    ever had (which made a submission's cost grow with the account's history)."""
    for i in range(3):
        _published(scene, f"{TEXT} ({i})")
    params = {"name": "acme", "account": 1, "since": utcnow() - timedelta(days=3), "exclude": 0}
    with scene.store.transaction() as db:
        for statement in (_ACCOUNT_WITH_CONTEXT, _CONTEXT):
            assert "ix_posts_account_status_published" in plan(db, statement, params)
