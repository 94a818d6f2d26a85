"""Notes on a post between its author and its reviewers, and the reasons of rejections.

A comment is kept with the post's history and audited, but it is not content: it is not in
the content hash, so commenting never voids an approval. Whoever may see the post may
comment on it (its author; reviewers, security and admins on a submitted post).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import ValidationFailed
from postgate.runtime import Runtime
from postgate.services.posts import visible_post
from postgate.states import CommentKind
from postgate.store.models import Post, PostComment, User

MAX_COMMENT = 2000


def add_comment(
    rt: Runtime, db: Session, user: User, post_id: int, body: object, *, source: str = ""
) -> PostComment:
    """Store ``user``'s comment on a post they can see."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed("write a comment", field="body")
    if len(body) > MAX_COMMENT:
        raise ValidationFailed(
            "a comment is at most {count} characters", field="body", count=MAX_COMMENT
        )
    post = visible_post(db, user, post_id)
    note = record(db, post, user, CommentKind.COMMENT, body.strip())
    rt.audit(
        db,
        Event.POST_COMMENT,
        actor=user.username,
        target=f"post:{post.id}",
        source=source,
        details={"comment": note.id, "revision": post.revision, "text": note.body},
    )
    return note


def record(db: Session, post: Post, user: User, kind: CommentKind, body: str) -> PostComment:
    """Keep a note on ``post`` (the caller audits what it stands for)."""
    note = PostComment(author=user, kind=kind, body=body, revision=post.revision)
    post.comments.append(note)
    db.flush()
    return note


def comment_to_dict(note: PostComment) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author.username,
        "kind": note.kind,
        "body": note.body,
        "revision": note.revision,
        "at": note.at.isoformat(),
    }
