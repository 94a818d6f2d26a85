"""Submitting, editing, cancelling and listing posts as the service decides it, without HTTP:
findings decide the first status, an edit sends a post back to review with a new revision,
and a plain author sees only their own posts."""

from __future__ import annotations

import pytest

from postgate.errors import Conflict, Forbidden, NotFound, ValidationFailed
from postgate.services.posts import cancel, edit, list_posts, submit, visible_post
from tests.postgate.service_people import (
    BLOCKED,
    CLEAN,
    LATER,
    account,
    actions,
    approve,
    people,
    post_of,
    submitted,
    user,
)


@pytest.fixture
def team(rt):
    account(rt, "acme")
    people(rt, ana=("author",), bea=("author",), rex=("reviewer",), sol=("security",))
    return rt


def test_a_clean_submission_waits_for_review_with_its_hash_and_is_audited(team) -> None:
    post_id = submitted(team, "ana")
    post = post_of(team, post_id)
    assert (post.status, post.revision, post.text) == ("pending_review", 1, CLEAN)
    assert len(post.content_hash) == 64 and post.findings == []
    assert actions(team, f"post:{post_id}") == ["post:submit"]


def test_blocking_findings_keep_the_post_blocked_with_them(team) -> None:
    post = post_of(team, submitted(team, "ana", BLOCKED))
    assert post.status == "blocked"
    assert any(f["severity"] == "block" for f in post.findings)


def test_submitting_needs_the_author_role_a_known_account_and_some_text(team) -> None:
    with team.store.transaction() as db, pytest.raises(Forbidden):
        submit(team, db, user(db, "rex"), "acme", CLEAN, LATER)
    with team.store.transaction() as db, pytest.raises(NotFound):
        submit(team, db, user(db, "ana"), "nowhere", CLEAN, LATER)
    with team.store.transaction() as db, pytest.raises(ValidationFailed) as empty:
        submit(team, db, user(db, "ana"), "acme", "   ", LATER)
    assert empty.value.field == "text"
    assert actions(team) == ["user:create"] * 4  # nothing was stored or audited


def test_an_edit_of_a_scheduled_post_sends_it_back_to_review(team) -> None:
    post_id = submitted(team, "ana")
    assert approve(team, "rex", post_id) == "scheduled"
    before = post_of(team, post_id)
    with team.store.transaction() as db:
        post, replaced = edit(team, db, user(db, "ana"), post_id, {"text": "Un autre texte."})
        assert replaced == 1 and post.revision == 2
    after = post_of(team, post_id)
    assert after.status == "pending_review" and after.content_hash != before.content_hash
    assert actions(team, f"post:{post_id}")[-1] == "post:edit"


def test_only_the_author_edits_and_only_while_the_post_is_editable(team) -> None:
    post_id = submitted(team, "ana")
    with team.store.transaction() as db, pytest.raises(Forbidden):
        edit(team, db, user(db, "sol"), post_id, {"text": "Réécrit par la sécurité."})
    with team.store.transaction() as db:
        cancel(team, db, user(db, "ana"), post_id)
    with team.store.transaction() as db, pytest.raises(Conflict):
        edit(team, db, user(db, "ana"), post_id, {"text": "Trop tard."})


def test_security_may_cancel_someone_else_s_post_another_author_may_not(team) -> None:
    post_id = submitted(team, "ana")
    with team.store.transaction() as db, pytest.raises(NotFound):
        cancel(team, db, user(db, "bea"), post_id)  # not even told it exists
    with team.store.transaction() as db:
        cancelled = cancel(team, db, user(db, "sol"), post_id)
        assert cancelled.status == "cancelled" and "sol" in cancelled.status_reason
    with team.store.transaction() as db, pytest.raises(Conflict):
        cancel(team, db, user(db, "ana"), post_id)


def test_a_plain_author_sees_and_lists_only_their_own_posts(team) -> None:
    mine, theirs = submitted(team, "ana"), submitted(team, "bea")
    with team.store.session() as db:
        assert [p.id for p in list_posts(db, user(db, "ana"))] == [mine]
        assert {p.id for p in list_posts(db, user(db, "rex"))} == {mine, theirs}
        assert visible_post(db, user(db, "rex"), theirs).id == theirs
        with pytest.raises(NotFound):
            visible_post(db, user(db, "ana"), theirs)
        with pytest.raises(ValidationFailed):
            list_posts(db, user(db, "ana"), status="gone")
