"""Crisis statements: the one kind of post that may go out on a frozen account.

During a freeze the company still needs to say something (an apology, a holding statement).
A security lead marks a submitted post as a crisis statement; it then goes through the usual
review (its approvals are voided by the marking, so reviewers approve it knowing what it is)
and the publish worker lets it through the freeze. Templates live in ``config/statements``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden
from postgate.runtime import Runtime
from postgate.services.approvals import void_approvals
from postgate.services.checking import evaluate
from postgate.services.freezes import active_freezes, is_frozen
from postgate.services.posts import load_post
from postgate.services.unfreeze import blocked_by_freeze
from postgate.states import WAITING, PostStatus, Role
from postgate.store.models import Post, User

MARKABLE = WAITING


def mark_crisis_statement(
    rt: Runtime, db: Session, user: User, post_id: int, *, source: str = ""
) -> Post:
    """Mark ``post_id`` as a crisis statement (the caller has checked 2FA)."""
    if not user.has_role(Role.SECURITY):
        raise Forbidden("marking a crisis statement needs the security role")
    post = load_post(db, post_id, lock=True)
    if post.crisis_statement:
        raise Conflict("this post is a crisis statement already", field="crisis_statement")
    if post.status not in MARKABLE:
        raise Conflict(
            "a {status} post cannot become a crisis statement", field="status", status=post.status
        )
    if not is_frozen(db, post.account_id):
        raise Conflict(
            "no freeze is in force on this account; publish it as a normal post", field="account"
        )
    old_status = post.status
    voided = void_approvals(db, post, "marked as crisis statement")
    post.crisis_statement = True
    result = evaluate(
        rt,
        db,
        post.account,
        post.text,
        post.scheduled_at,
        crisis_statement=True,
        exclude_post=post.id,
    )
    post.findings = [f.to_dict() for f in result.findings]
    post.rules_version = result.version
    post.status = PostStatus.BLOCKED if result.blocked else PostStatus.PENDING_REVIEW
    post.reason = "blocking findings" if result.blocked else "crisis statement: to review"
    rt.audit(
        db,
        Event.POST_CRISIS,
        actor=user.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "account": post.account.name,
            "previous_status": old_status,
            "status": post.status,
            "approvals_voided": voided,
            "content_hash": post.content_hash,
        },
    )
    return post


HELD_SHOWN = 50


def held_by_freeze(db: Session, limit: int = HELD_SHOWN) -> list[Post]:
    """Posts a freeze holds that a security lead could mark as crisis statements: ``blocked``
    by the freeze on an account still frozen, not marked yet; the newest first. The console
    lists them, so the lead finds the statement an author wrote without hunting for it."""
    scope = {f.account_id for f in active_freezes(db)}
    if not scope:
        return []
    query = (
        select(Post)
        .where(Post.status == PostStatus.BLOCKED, Post.crisis_statement.is_(False))
        .order_by(Post.id.desc())
    )
    if None not in scope:  # no global freeze: the frozen accounts only
        query = query.where(Post.account_id.in_(scope))
    held = [post for post in db.scalars(query.limit(limit * 4)) if blocked_by_freeze(post)]
    return held[:limit]


def statements_dir(rt: Runtime) -> Path:
    """Statement templates live in ``statements/`` beside the settings file."""
    return rt.settings.config_path.parent / "statements"


HOLDING_FILE = "takedown-holding.txt"
DEFAULT_HOLDING = (
    "This post has been removed: it was not published by us. Our account was compromised and"
    " we are securing it."
)


def holding_text(rt: Runtime) -> str:
    """The short text a takedown puts in place of an attacker's post before deleting it:
    ``config/statements/takedown-holding.txt`` beside the settings file, else a default."""
    path = statements_dir(rt) / HOLDING_FILE
    text = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    return text or DEFAULT_HOLDING


def statement_templates(rt: Runtime) -> list[dict[str, str]]:
    """The statement templates in ``config/statements`` (name, text)."""
    out = []
    for path in sorted(statements_dir(rt).glob("*.md")):
        out.append({"name": path.stem, "text": path.read_text(encoding="utf-8").strip()})
    return out
