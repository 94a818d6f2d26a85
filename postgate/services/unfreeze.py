"""Lifting a freeze, and sending the posts it blocked back to review.

A freeze blocks posts in two ways: the freeze rule blocks a submission or an edit made during
the freeze (a ``freeze`` finding), and the publish worker blocks a post it was about to
publish (reason :data:`~postgate.services.publishing.FROZEN`). Left ``blocked`` after the
freeze, those posts would wait for an author who thinks they are queued; so in the lift's own
transaction each one whose account is no longer frozen is checked again against the rules:
clean, it goes back to ``pending_review`` (its earlier approvals voided, so a reviewer looks
at it again in the light of the incident), audited ``post:unfreeze``; blocked for another
reason, it stays ``blocked`` with its findings brought up to date.

This lives apart from :mod:`postgate.services.freezes` because re-checking needs the rules
engine (:mod:`postgate.services.checking`), which itself reads the freezes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.services import freezes
from postgate.services.approvals import void_approvals
from postgate.services.checking import evaluate
from postgate.services.publishing import FROZEN
from postgate.states import PostStatus
from postgate.store.models import Freeze, Post, User
from rules.freeze import FROZEN as FROZEN_FINDING

BACK_TO_REVIEW = "freeze lifted: back to review"


@dataclass
class Lifted:
    freezes: list[Freeze]
    released: list[Post] = field(default_factory=list)


def blocked_by_freeze(post: Post) -> bool:
    """Whether a freeze is among the reasons ``post`` is blocked."""
    if post.reason == FROZEN:
        return True
    return any(f.get("template") == FROZEN_FINDING for f in post.findings or [])


def lift_freeze(
    rt: Runtime, db: Session, actor: User, account_name: str | None, *, source: str = ""
) -> Lifted:
    """:func:`postgate.services.freezes.lift_freeze`, then the posts it held back to review."""
    lifted = freezes.lift_freeze(rt, db, actor, account_name, source=source)
    scope = {f.account_id for f in lifted}
    query = select(Post).where(Post.status == PostStatus.BLOCKED).order_by(Post.id)
    if None not in scope:
        query = query.where(Post.account_id.in_(scope))
    result = Lifted(lifted)
    for post in db.scalars(query.with_for_update()):
        if not blocked_by_freeze(post) or freezes.is_frozen(db, post.account_id):
            continue
        check = evaluate(
            rt,
            db,
            post.account,
            post.text,
            post.scheduled_at,
            crisis_statement=post.crisis_statement,
            exclude_post=post.id,
        )
        post.findings = [f.to_dict() for f in check.findings]
        post.rules_version = check.version
        if check.blocked:
            post.reason = "blocking findings"
            continue
        voided = void_approvals(db, post, BACK_TO_REVIEW)
        post.status, post.reason = PostStatus.PENDING_REVIEW, BACK_TO_REVIEW
        rt.audit(
            db,
            Event.POST_UNFREEZE,
            actor=actor.username,
            target=f"post:{post.id}",
            source=source,
            details={
                "freezes": [f.id for f in lifted],
                "approvals_voided": voided,
                "revision": post.revision,
            },
        )
        result.released.append(post)
    return result
