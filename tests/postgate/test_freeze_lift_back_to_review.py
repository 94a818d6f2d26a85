"""Lifting a freeze sends the posts it blocked back to review (``pending_review``), audited
``post:unfreeze``; a post blocked for another reason as well stays blocked, and a post whose
account is still frozen (a global lift under an account freeze) waits."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from postgate.services.approvals import valid_approvals
from postgate.services.freezes import set_freeze
from postgate.services.publishing import FROZEN
from postgate.services.unfreeze import lift_freeze
from postgate.store.models import Post
from tests.helpers import make_account
from tests.postgate.service_people import (
    BLOCKED,
    account,
    actions,
    approve,
    people,
    post_of,
    submitted,
    user,
)


@pytest.fixture
def scene(rt):
    for name in ("acme", "beta"):
        account(rt, name)
    people(rt, ana=("author",), rex=("reviewer",), sol=("security",))
    return rt


def _freeze(rt, name: str | None) -> None:
    with rt.store.transaction() as db:
        set_freeze(rt, db, user(db, "sol"), name, "incident")


def _lift(rt, name: str | None) -> list[int]:
    with rt.store.transaction() as db:
        return [p.id for p in lift_freeze(rt, db, user(db, "sol"), name).released]


def test_posts_blocked_by_a_freeze_go_back_to_review_when_it_is_lifted(scene) -> None:
    rt = scene
    held = submitted(rt, "ana")  # clean before the freeze: approved, then the worker blocks it
    assert approve(rt, "rex", held) == "scheduled"
    _freeze(rt, "acme")
    with rt.store.transaction() as db:  # what the publish worker does on a freeze
        db.execute(update(Post).where(Post.id == held).values(status="blocked", reason=FROZEN))
    frozen = submitted(rt, "ana")  # blocked at submission by the freeze rule
    banned = submitted(rt, "ana", BLOCKED)  # blocked by the freeze and by its words
    elsewhere = submitted(rt, "ana", account_name="beta")
    assert post_of(rt, frozen).status == "blocked"

    released = _lift(rt, "acme")

    assert sorted(released) == sorted([held, frozen])
    for post_id in (held, frozen):
        post = post_of(rt, post_id)
        assert post.status == "pending_review" and "freeze lifted" in post.reason
        assert not any("freeze" in f["message"].lower() for f in post.findings)
        assert actions(rt, f"post:{post_id}")[-1] == "post:unfreeze"
    with rt.store.session() as db:
        assert valid_approvals(db.get(Post, held)) == []  # reviewed again, from the start
    still = post_of(rt, banned)
    assert still.status == "blocked"
    assert not any("freeze" in f["message"].lower() for f in still.findings)
    assert post_of(rt, elsewhere).status == "pending_review"
    assert "post:unfreeze" not in actions(rt, f"post:{banned}")


def test_a_global_lift_leaves_posts_of_an_account_still_frozen(scene) -> None:
    rt = scene
    _freeze(rt, None)
    _freeze(rt, "acme")
    on_acme = submitted(rt, "ana")
    on_beta = submitted(rt, "ana", account_name="beta")
    assert _lift(rt, None) == [on_beta]
    assert post_of(rt, on_acme).status == "blocked"
    assert post_of(rt, on_beta).status == "pending_review"
    assert _lift(rt, "acme") == [on_acme]


def test_the_api_lift_sends_them_back_and_says_which(client, actors, rt) -> None:
    make_account(rt, "acme")
    lead = actors.person("sam", "security")
    ana = actors.person("ana", "author")
    frozen = {"account": "acme", "reason": "hacked"}
    assert client.post("/api/v1/freeze", json=frozen, headers=lead.headers).status_code in (
        200,
        201,
    )
    post = client.post(
        "/api/v1/posts", json={"account": "acme", "text": "Hello"}, headers=ana.headers
    ).get_json()
    assert post["status"] == "blocked"
    lifted = client.post("/api/v1/freeze/lift", json={"account": "acme"}, headers=lead.headers)
    assert lifted.status_code == 200 and lifted.get_json()["back_to_review"] == [post["id"]]
    again = client.get(f"/api/v1/posts/{post['id']}", headers=ana.headers).get_json()
    assert again["status"] == "pending_review"
