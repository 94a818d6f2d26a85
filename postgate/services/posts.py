"""Submitting, editing, cancelling and reading posts.

A submission is committed with its findings before the API answers; a post with blocking
findings is kept as ``blocked`` so its author can fix it. Any edit voids earlier approvals
(they are bound to the old content hash) and sends the post back through review.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import policy
from postgate.audit import Event
from postgate.content import content_hash
from postgate.errors import Conflict, Forbidden, NotFound, ValidationFailed
from postgate.notifications import recipients
from postgate.runtime import Runtime
from postgate.services.approvals import valid_approvals, void_approvals
from postgate.services.checking import Fresh, account_for_rules, evaluate, platform_limits
from postgate.services.media import attach, draft_images
from postgate.services.new_posts import insert_new_post, new_post
from postgate.states import CANCELLABLE, EDITABLE, CommentKind, PostStatus, Role
from postgate.store.models import POST_STATUSES, Account, Post, PostRevision, User
from postgate.store.types import utcnow
from rules import extract_links

MAX_TEXT = 10_000
CLOCK_SKEW = timedelta(seconds=60)
SEES_ALL = policy.SEE_ALL_POSTS


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("text is required and cannot be empty", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            "text is longer than {count} characters", field="text", count=MAX_TEXT
        )
    return text


def _check_schedule(when: datetime | None) -> datetime | None:
    if when is not None and when < utcnow() - CLOCK_SKEW:
        raise ValidationFailed("scheduled_at is in the past", field="scheduled_at")
    return when


def _check_media(
    db: Session, user: User, account: Account, entries: Sequence[Any] | None
) -> list[dict[str, Any]]:
    """The images of a request (``[{"id", "alt"}]``) as the post keeps them."""
    spec_limits = platform_limits(account.platform)
    limit = spec_limits.max_media if spec_limits is not None else 4
    return attach(db, user, account, entries or [], limit)


def _content(
    rt: Runtime,
    db: Session,
    account: Account,
    text: str,
    when: datetime | None,
    media: list[dict[str, Any]],
    *,
    crisis_statement: bool,
    exclude_post: int | None,
    fresh: Fresh | None = None,
) -> dict[str, Any]:
    """A post's content columns for this text, time and images: the rules run on them,
    the content hash, and the status the findings give (``blocked`` or ``pending_review``).
    ``fresh``: the rules' context as just read with the account (``account_for_rules``)."""
    result = evaluate(
        rt,
        db,
        account,
        text,
        when,
        crisis_statement=crisis_statement,
        exclude_post=exclude_post,
        images=draft_images(db, media),
        fresh=fresh,
    )
    links = extract_links(text)
    return {
        "text": text,
        "scheduled_at": when,
        "media": media,
        "links": links,
        "findings": [f.to_dict() for f in result.findings],
        "rules_version": result.version,
        "content_hash": content_hash(account.name, text, when, media, links),
        "status": PostStatus.BLOCKED if result.blocked else PostStatus.PENDING_REVIEW,
        "reason": "blocking findings" if result.blocked else "",
    }


def _keep_revision(db: Session, post: Post, by: User) -> None:
    db.add(
        PostRevision(
            post_id=post.id,
            revision=post.revision,
            text=post.text,
            scheduled_at=post.scheduled_at,
            media=post.media,
            content_hash=post.content_hash,
            by_id=by.id,
        )
    )


def _apply_content(
    rt: Runtime,
    db: Session,
    post: Post,
    account: Account,
    text: str,
    when: datetime | None,
    by: User,
    media: list[dict[str, Any]],
) -> None:
    """Set text, time and images, re-run the rules, hash the content and keep a revision."""
    fields = _content(
        rt,
        db,
        account,
        text,
        when,
        media,
        crisis_statement=post.crisis_statement,
        exclude_post=post.id,
    )
    for name, value in fields.items():
        setattr(post, name, value)
    db.flush()
    _keep_revision(db, post, by)


def recheck_findings(rt: Runtime, db: Session, post: Post) -> None:
    """Run the rules again on a post awaiting review whose content has not changed (the text
    of one of its images was read since): its findings, and ``blocked`` or back to
    ``pending_review``. Its hash and approvals stay: the content is the same."""
    result = evaluate(
        rt,
        db,
        post.account,
        post.text,
        post.scheduled_at,
        crisis_statement=post.crisis_statement,
        exclude_post=post.id,
        images=draft_images(db, post.media or []),
    )
    post.findings = [f.to_dict() for f in result.findings]
    post.rules_version = result.version
    if post.status in (PostStatus.PENDING_REVIEW, PostStatus.BLOCKED):
        post.status = PostStatus.BLOCKED if result.blocked else PostStatus.PENDING_REVIEW
        post.reason = "blocking findings" if result.blocked else ""


def submit(
    rt: Runtime,
    db: Session,
    author: User,
    account_name: str,
    text: str,
    scheduled_at: datetime | None,
    *,
    media: Sequence[Any] | None = None,
    source: str = "",
    draft: bool = False,
) -> Post:
    """Store a new post with its findings: ``pending_review``, or ``blocked``; with
    ``draft``, a ``draft`` that nobody reviews until its author submits it.

    ``media``: ``[{"id", "alt"}]``, the author's own uploads in the order they show.
    """
    if not author.has_role(Role.AUTHOR):
        raise Forbidden("submitting posts needs the author role")
    text = _check_text(text)
    when = _check_schedule(scheduled_at)
    if not isinstance(account_name, str) or not account_name:
        raise ValidationFailed("account is required", field="account")
    # The account and what its rules read (freeze, version in force, recent posts) come in
    # one statement; the rules run before the row exists, so it is written once, whole, with
    # its first revision, by Core statements (a new post has no published version to exclude
    # from the duplicates, and no approvals, which its answer would otherwise read back).
    account, fresh = account_for_rules(rt, db, account_name)
    images = _check_media(db, author, account, media)
    fields = _content(
        rt, db, account, text, when, images, crisis_statement=False, exclude_post=None, fresh=fresh
    )
    post = new_post(account_id=account.id, author_id=author.id, **fields)
    if draft:
        keep_draft(post)
    insert_new_post(db, post)
    if post.status == PostStatus.PENDING_REVIEW:
        # Whom the review request goes to, read before the audit entry takes the chain's
        # lock until commit, in two round trips whatever the number of reviewers.
        recipients.prefetch(db, [], reviewers=True)
    rt.audit(
        db,
        Event.POST_DRAFT if draft else Event.POST_SUBMIT,
        actor=author.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "account": account.name,
            "status": post.status,
            "findings": [f["rule"] for f in post.findings],
            "content_hash": post.content_hash,
            "media": [m["sha256"] for m in images],
        },
    )
    return post


def keep_draft(post: Post) -> None:
    """A draft stays a draft whatever its findings: they show, nobody is asked to review."""
    post.status, post.reason = PostStatus.DRAFT, ""


def load_post(db: Session, post_id: int, *, lock: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    if lock:
        query = query.with_for_update()
    post = db.scalar(query)
    if post is None:
        raise NotFound("no post {id}", field="id", id=str(post_id))
    return post


def visible_post(db: Session, user: User, post_id: int, *, lock: bool = False) -> Post:
    """The post if ``user`` may see it; others' posts are 404 for a plain author, and a
    draft is its author's alone."""
    post = load_post(db, post_id, lock=lock)
    private = post.status == PostStatus.DRAFT or not user.has_role(*SEES_ALL)
    if post.author_id != user.id and private:
        raise NotFound("no post {id}", field="id", id=str(post_id))
    return post


def edit(
    rt: Runtime,
    db: Session,
    user: User,
    post_id: int,
    changes: dict[str, Any],
    *,
    source: str = "",
) -> tuple[Post, int]:
    """Apply an edit by the post's author; returns the post and the revision it replaced."""
    post = visible_post(db, user, post_id, lock=True)
    if post.author_id != user.id:
        raise Forbidden("only the author can edit a post")
    if post.status not in EDITABLE:
        raise Conflict("a {status} post cannot be edited", field="status", status=post.status)
    text = _check_text(changes["text"]) if "text" in changes else post.text
    when = (
        _check_schedule(changes["scheduled_at"]) if "scheduled_at" in changes else post.scheduled_at
    )
    if "media" in changes:
        images = _check_media(db, user, post.account, changes["media"])
    else:
        images = list(post.media or [])
    old_revision, old_hash = post.revision, post.content_hash
    was_draft = post.status == PostStatus.DRAFT
    voided = void_approvals(db, post, "edited")
    post.revision += 1
    _apply_content(rt, db, post, post.account, text, when, user, images)
    if was_draft:
        keep_draft(post)
    rt.audit(
        db,
        Event.POST_EDIT,
        actor=user.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "revision": post.revision,
            "old_hash": old_hash,
            "content_hash": post.content_hash,
            "approvals_voided": voided,
            "status": post.status,
        },
    )
    return post, old_revision


def cancel(rt: Runtime, db: Session, user: User, post_id: int, *, source: str = "") -> Post:
    post = visible_post(db, user, post_id, lock=True)
    if post.author_id != user.id and not user.has_role(Role.SECURITY, Role.ADMIN):
        raise Forbidden("only the author, security or an admin can cancel a post")
    if post.status not in CANCELLABLE:
        raise Conflict("a {status} post cannot be cancelled", field="status", status=post.status)
    post.status, post.reason = PostStatus.CANCELLED, f"cancelled by {user.username}"
    rt.audit(db, Event.POST_CANCEL, actor=user.username, target=f"post:{post.id}", source=source)
    return post


def list_posts(db: Session, user: User, status: str | None = None, limit: int = 200) -> list[Post]:
    if status is not None and status not in POST_STATUSES:
        raise ValidationFailed("unknown status {value!r}", field="status", value=status)
    query = select(Post).order_by(Post.id.desc()).limit(limit)
    if status:
        query = query.where(Post.status == status)
    if not user.has_role(*SEES_ALL):
        query = query.where(Post.author_id == user.id)
    else:
        query = query.where((Post.status != PostStatus.DRAFT) | (Post.author_id == user.id))
    return list(db.scalars(query))


def rejection(post: Post) -> dict[str, Any] | None:
    """Who rejected a ``rejected`` post, when and why; None for any other post."""
    if post.status != PostStatus.REJECTED:
        return None
    found = [c for c in post.comments if c.kind == CommentKind.REJECTION]
    if not found:
        return None  # rejected before reasons were kept with their reviewer
    last = found[-1]
    return {"reviewer": last.author.username, "reason": last.body, "at": last.at.isoformat()}


def post_to_dict(post: Post) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": post.id,
        "account": post.account.name,
        "author": post.author.username,
        "text": post.text,
        "status": post.status,
        "status_reason": post.status_reason,
        "scheduled_at": iso(post.scheduled_at),
        "content_hash": post.content_hash,
        "revision": post.revision,
        "rules_version": post.rules_version,
        "findings": [
            {
                "rule": f["rule"],
                "severity": f["severity"],
                "message": f["message"],
                "span": f.get("span"),
                # For clients that show findings in their own language (None on old rows).
                "template": f.get("template"),
                "params": f.get("params"),
                **({"image": f["image"], "image_text": f["image_text"]} if "image" in f else {}),
            }
            for f in post.findings or []
        ],
        "approvals": [
            {"reviewer": a.reviewer.username, "at": iso(a.at)} for a in valid_approvals(post)
        ],
        "media": [
            {"id": m["id"], "sha256": m["sha256"], "alt": m.get("alt") or ""}
            for m in post.media or []
        ],
        "approvals_required": post.account.approvals_required,
        "crisis_statement": post.crisis_statement,
        "rejection": rejection(post),
        "remote_id": post.remote_id,
        "remote_url": post.remote_url,
        "published_at": iso(post.published_at),
        "created_at": iso(post.created_at),
        "updated_at": iso(post.updated_at),
    }


def set_time(rt: Runtime, db: Session, post: Post, when: datetime | None, by: User) -> str:
    """A new scheduled time, and nothing else, for ``post``: a new revision by ``by`` with the
    rules run again and the content hash made anew (the time is part of what is approved).
    Earlier approvals no longer match; returns the hash it replaced."""
    old_hash = post.content_hash
    post.revision += 1
    _apply_content(rt, db, post, post.account, post.text, when, by, list(post.media or []))
    return old_hash
