"""Drafts: a post its author saved without submitting, and its submission.

A draft is stored like any post (revisions, findings as the rules see it today, a content
hash) but is its author's alone: no reviewer's queue lists it, nobody else can open it and
no worker ever takes it (only ``scheduled`` posts are queued). Submitting it runs the rules
again, as on any submission, and sends it to review or leaves it ``blocked``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden
from postgate.runtime import Runtime
from postgate.services.posts import _check_schedule, recheck_findings, visible_post
from postgate.states import PostStatus
from postgate.store.models import Post, User


def submit_draft(rt: Runtime, db: Session, user: User, post_id: int, *, source: str = "") -> Post:
    """Send the author's draft to review: ``pending_review``, or ``blocked`` by its rules."""
    post = visible_post(db, user, post_id, lock=True)
    if post.author_id != user.id:
        raise Forbidden("only the author can submit a draft")
    if post.status != PostStatus.DRAFT:
        raise Conflict("a {status} post is not a draft", field="status", status=post.status)
    _check_schedule(post.scheduled_at)
    post.status = PostStatus.PENDING_REVIEW
    recheck_findings(rt, db, post)
    rt.audit(
        db,
        Event.POST_SUBMIT,
        actor=user.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "account": post.account.name,
            "status": post.status,
            "findings": [f["rule"] for f in post.findings],
            "content_hash": post.content_hash,
            "media": [m["sha256"] for m in post.media or []],
            "draft": True,
        },
    )
    return post
