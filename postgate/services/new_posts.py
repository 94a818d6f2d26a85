"""Writing a new post and its first revision in Core statements (issue 16).

The ORM's unit of work (pending object, flush, primary key fetched back, then the revision's
own flush) was a fifth of a submission's CPU. A new post is written here by an ``INSERT``
whose values are the post object's own attributes, every column given, and its first
revision is copied from the row just written; on PostgreSQL both go in one statement (a
data-modifying ``WITH``), SQLite takes two. The object is then attached to the session as the
row now stored (persistent, nothing left to flush or load), so what the request reads from it
afterwards (its answer, the audit entry, the review request) costs no statement.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from postgate.states import PostStatus
from postgate.store.models import Post, PostRevision
from postgate.store.types import utcnow

_POSTS = cast(Table, Post.__table__)
_REVISIONS = cast(Table, PostRevision.__table__)

# (attribute, column) of every column but the id: ``Post.reason`` is the ``status_reason``
# column, for one.
_WRITTEN = tuple(
    (prop.key, prop.columns[0].key) for prop in Post.__mapper__.column_attrs if prop.key != "id"
)
_VALUES = insert(_POSTS).values(
    {column: bindparam(column, type_=_POSTS.c[column].type) for _, column in _WRITTEN}
)
_INSERT_POST = _VALUES.returning(_POSTS.c.id)

# The first revision is the post's content as written, by its author, at its creation.
_REVISION_COLUMNS = "post_id revision text scheduled_at media content_hash by_id at".split()
_COPIED = "id revision text scheduled_at media content_hash author_id created_at".split()

_NEW = _VALUES.returning(*(_POSTS.c[name] for name in _COPIED)).cte("new_post")
_INSERT_POST_WITH_REVISION = (
    insert(_REVISIONS)
    .from_select(_REVISION_COLUMNS, select(*(_NEW.c[name] for name in _COPIED)))
    .returning(_REVISIONS.c.post_id)
)
_INSERT_FIRST_REVISION = insert(_REVISIONS).from_select(
    _REVISION_COLUMNS,
    select(*(_POSTS.c[name] for name in _COPIED)).where(_POSTS.c.id == bindparam("post_id")),
)


def new_post(**values: Any) -> Post:
    """A transient ``Post`` with ``values`` and every other column at its default, as
    :func:`insert_new_post` needs it."""
    now = utcnow()
    defaults: dict[str, Any] = {
        "links": [],
        "media": [],
        "scheduled_at": None,
        "status": PostStatus.PENDING_REVIEW,
        "reason": "",
        "outcome_unknown": False,
        "unresolved_reason": "",
        "revision": 1,
        "findings": [],
        "rules_version": "",
        "crisis_statement": False,
        "remote_id": None,
        "remote_url": None,
        "published_at": None,
        "claim_token": None,
        "claimed_at": None,
        "attempts": 0,
        "evidence": None,
        "media_uploads": None,
        "created_at": now,
        "updated_at": now,
    }
    return Post(approvals=[], **{**defaults, **values})


def insert_new_post(db: Session, post: Post) -> Post:
    """Write ``post`` (a new, transient ``Post`` whose every column but ``id`` is set) and
    its first revision, then attach it to ``db`` as stored; returns it, with its id."""
    row: dict[str, Any] = {}
    for attribute, column in _WRITTEN:
        if attribute not in post.__dict__:
            raise ValueError(f"a new post needs its {attribute} set")  # else a later refresh
        row[column] = post.__dict__[attribute]
    if db.get_bind().dialect.name == "postgresql":
        post.id = db.execute(_INSERT_POST_WITH_REVISION, row).scalar_one()
    else:
        post.id = db.execute(_INSERT_POST, row).scalar_one()
        db.execute(_INSERT_FIRST_REVISION, {"post_id": post.id})
    make_transient_to_detached(post)
    db.add(post)
    return post
