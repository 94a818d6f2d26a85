"""Four-eyes review as the service decides it, without HTTP (invariant 2): who may approve or
reject, how many approvals schedule a post, what an approval is bound to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postgate.errors import Conflict, Forbidden, ValidationFailed
from postgate.services import review
from postgate.services.approvals import valid_approvals
from postgate.services.posts import edit
from postgate.store.models import Approval, Post
from tests.postgate.service_people import (
    BLOCKED,
    FLAGGED,
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
    account(rt, "pair", approvals=2)
    people(rt, ana=("author",), rex=("reviewer",), rae=("reviewer",), sam=("author", "reviewer"))
    return rt


def test_one_approval_schedules_a_post_of_an_account_that_needs_one(team) -> None:
    post_id = submitted(team, "ana")
    assert approve(team, "rex", post_id) == "scheduled"
    assert actions(team, f"post:{post_id}") == ["post:submit", "post:approve", "post:schedule"]


def test_two_distinct_reviewers_are_needed_where_the_account_asks_for_two(team) -> None:
    post_id = submitted(team, "ana", account_name="pair")
    assert approve(team, "rex", post_id) == "pending_review"
    with pytest.raises(Conflict, match="approved this version already"):
        approve(team, "rex", post_id)
    assert approve(team, "rae", post_id) == "scheduled"


def test_an_author_never_approves_their_own_post_even_as_a_reviewer(team) -> None:
    post_id = submitted(team, "sam")
    with pytest.raises(Forbidden, match="own post"):
        approve(team, "sam", post_id)
    assert post_of(team, post_id).status == "pending_review"


def test_approving_needs_the_reviewer_role(team) -> None:
    people(team, eve=("author",))
    post_id = submitted(team, "ana")
    with pytest.raises(Forbidden, match="reviewer role"):
        approve(team, "eve", post_id)
    assert actions(team, f"post:{post_id}") == ["post:submit"]


def test_a_blocked_post_cannot_be_approved(team) -> None:
    post_id = submitted(team, "ana", BLOCKED)
    assert post_of(team, post_id).status == "blocked"
    with pytest.raises(Conflict, match="blocked"):
        approve(team, "rex", post_id)


def test_flagged_findings_are_acknowledged_before_approval(team) -> None:
    post_id = submitted(team, "ana", FLAGGED)
    flags = [f["rule"] for f in post_of(team, post_id).findings if f["severity"] == "flag"]
    assert flags
    with pytest.raises(ValidationFailed) as refused:
        approve(team, "rex", post_id)
    assert refused.value.field == "acknowledge"
    assert approve(team, "rex", post_id, flags) == "scheduled"


def test_an_approval_records_the_content_hash_and_an_edit_voids_it(team) -> None:
    post_id = submitted(team, "ana", account_name="pair")
    approve(team, "rex", post_id)
    with team.store.transaction() as db:
        first = db.scalar(select(Approval))
        assert first.content_hash == post_of(team, post_id).content_hash
        edit(team, db, user(db, "ana"), post_id, {"text": "Nouvelle collection, dès samedi."})
    with team.store.session() as db:
        post = db.get(Post, post_id)
        assert post.status == "pending_review" and valid_approvals(post) == []
    assert approve(team, "rae", post_id) == "pending_review"  # rex's approval no longer counts


def test_a_rejection_needs_a_reason_and_voids_the_approvals(team) -> None:
    post_id = submitted(team, "ana", account_name="pair")
    approve(team, "rex", post_id)
    with team.store.transaction() as db, pytest.raises(ValidationFailed):
        review.reject(team, db, user(db, "rae"), post_id, "  ")
    with team.store.transaction() as db:
        rejected = review.reject(team, db, user(db, "rae"), post_id, "  prix faux  ")
        assert rejected.status == "rejected" and rejected.status_reason == "prix faux"
        assert valid_approvals(rejected) == []
    assert actions(team, f"post:{post_id}")[-1] == "post:reject"


def test_an_author_cannot_reject_their_own_post(team) -> None:
    post_id = submitted(team, "sam")
    with team.store.transaction() as db, pytest.raises(Forbidden):
        review.reject(team, db, user(db, "sam"), post_id, "non")
