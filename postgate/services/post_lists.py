"""The lists of posts people and clients page through: my posts, the review queue, every
post (security and admin), filtered by status, account, author, date and text.

Who sees what is decided here, once: an author only their own posts, whatever the filters
say (``author=someone-else`` is then an empty list, not a way around it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from postgate.errors import ValidationFailed
from postgate.services.listing import (
    DEFAULT_LIMIT,
    Key,
    Page,
    Sort,
    Window,
    keyset_page,
    like_pattern,
    within,
)
from postgate.services.names import canonical_name
from postgate.services.posts import SEES_ALL
from postgate.states import PostStatus
from postgate.store.models import POST_STATUSES, Account, Approval, Post, PostComment, User


@dataclass(frozen=True)
class PostQuery:
    """What a list shows: every field None or empty means "any"."""

    status: str | None = None
    account: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    sort: Sort = Sort.NEWEST
    others_only: bool = False
    """The review queue: leave out the caller's own posts (nobody reviews their own)."""
    own_only: bool = False
    """My posts: only the caller's own, whatever roles they hold."""

    def filters(self) -> dict[str, str]:
        """The filters as text, to bind a cursor to the query it was made for."""
        shown = {
            "status": self.status,
            "account": canonical_name(self.account) if self.account else None,
            "author": canonical_name(self.author) if self.author else None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "text": self.text,
            "sort": self.sort.value,
            "others_only": "1" if self.others_only else None,
            "own_only": "1" if self.own_only else None,
        }
        return {k: v for k, v in shown.items() if v}


def _filtered(user: User, q: PostQuery) -> Select[Any]:
    if q.status is not None and q.status not in POST_STATUSES:
        raise ValidationFailed("unknown status {value!r}", field="status", value=q.status)
    window = Window(q.since, q.until)
    window.check()
    # What each row shows (post_to_dict), loaded per page rather than per row.
    query = select(Post).options(
        selectinload(Post.account),
        selectinload(Post.author),
        selectinload(Post.approvals).selectinload(Approval.reviewer),
        selectinload(Post.comments).selectinload(PostComment.author),  # who rejected it
    )
    if not user.has_role(*SEES_ALL):
        query = query.where(Post.author_id == user.id)
    else:  # a draft is its author's alone
        query = query.where((Post.status != PostStatus.DRAFT) | (Post.author_id == user.id))
    if q.others_only:
        query = query.where(Post.author_id != user.id)
    if q.own_only:
        query = query.where(Post.author_id == user.id)
    if q.status:
        query = query.where(Post.status == q.status)
    if q.account:
        named = select(Account.id).where(Account.name == canonical_name(q.account))
        query = query.where(Post.account_id.in_(named.scalar_subquery()))
    if q.author:
        named = select(User.id).where(User.username == canonical_name(q.author))
        query = query.where(Post.author_id.in_(named.scalar_subquery()))
    query = within(query, Post.created_at, window)
    if q.text:
        query = query.where(Post.text.ilike(like_pattern(q.text), escape="\\"))
    return query


def page_posts(
    db: Session,
    user: User,
    q: PostQuery,
    *,
    limit: int = DEFAULT_LIMIT,
    after: Key | None = None,
    before: Key | None = None,
) -> Page[Post]:
    """One page of the posts ``user`` may see that match ``q``."""
    return keyset_page(
        db,
        _filtered(user, q),
        Post.id,
        lambda p: p.id,
        limit=limit,
        sort=q.sort,
        after=after,
        before=before,
    )
