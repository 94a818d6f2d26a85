"""What a takedown touches: one decision per post, shared by the preview and the job.

The rules (DESIGN.md, invariant 8):

- A crisis statement is never touched, whatever else is asked.
- A post whose remote id the lead listed in ``exclude`` is left alone.
- A post Postgate never published (the attacker's) is in scope when the platform says it
  appeared in the window, or was edited in it: by its time (the server's ``created_at``,
  a Bluesky record key's TID, whichever is later), or because the platform's own history
  shows it written in the window (a Bluesky repository's commits since then), whatever
  times the post claims.
- One of Postgate's own posts that was edited on the platform after Postgate published it
  (``edited_at`` in the window) is in scope: someone else changed it.
- Postgate's other posts in the window go only when the lead chose them:
  ``include_postgate`` is ``"none"`` (the default), ``"all"`` or a list of usernames whose
  posts go.

Time comes from what the platform vouches for (the server's ``created_at`` and
``edited_at``, the repository's commit history), never from Postgate's guess nor from a
listing's order; a time the client chose (Bluesky's ``createdAt``) can only bring a post
into the window, never keep it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from postgate.errors import ValidationFailed
from postgate.platforms.base import RemotePost
from postgate.store.models import Post

INCLUDE_CHOICES = ("none", "all")
LEGACY_INCLUDE = "all"  # takedowns from before the choice existed deleted all of Postgate's


@dataclass(frozen=True)
class Scope:
    """The lead's choice: which of Postgate's posts go, and which posts never do."""

    include_postgate: str | tuple[str, ...] = "none"
    exclude: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        include = self.include_postgate
        return {
            "include_postgate": include if isinstance(include, str) else list(include),
            "exclude": sorted(self.exclude),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Scope:
        """The scope stored with a takedown (an empty one: a takedown from before scopes)."""
        data = data or {}
        include = data.get("include_postgate", LEGACY_INCLUDE)
        include = include if isinstance(include, str) else tuple(include)
        return cls(include, frozenset(data.get("exclude") or ()))

    def widest(self, other: Scope) -> Scope:
        """The scope that touches whatever either touches: a request joining a running
        takedown never narrows it. ``"all"`` beats any list, lists add up, and a post stays
        excluded only when both exclude it."""
        mine, theirs = self.include_postgate, other.include_postgate
        if "all" in (mine, theirs):
            include: str | tuple[str, ...] = "all"
        else:
            names = set(() if mine == "none" else mine) | set(() if theirs == "none" else theirs)
            include = tuple(sorted(names)) if names else "none"
        return Scope(include, self.exclude & other.exclude)

    def chooses(self, author: str | None) -> bool:
        """Whether the lead chose this author's (unedited) Postgate posts."""
        if self.include_postgate == "all":
            return True
        if self.include_postgate == "none":
            return False
        return author in self.include_postgate


def parse_scope(include_postgate: Any, exclude: Any) -> Scope:
    """Validate the API's ``include_postgate`` and ``exclude``; 422 names the bad field."""
    if include_postgate is None:
        include_postgate = "none"
    if isinstance(include_postgate, str):
        if include_postgate not in INCLUDE_CHOICES:
            raise ValidationFailed(
                'include_postgate is "none", "all" or a list of usernames',
                field="include_postgate",
            )
        include: str | tuple[str, ...] = include_postgate
    else:
        include = tuple(sorted(set(include_postgate)))
    return Scope(include, frozenset(exclude or ()))


@dataclass(frozen=True)
class Decision:
    """Whether a post is in scope, and why (shown in the preview)."""

    touch: bool
    why: str


def platform_time(remote: RemotePost) -> datetime:
    """The latest time the platform gives: its edit time, its record key's, its creation."""
    times = (remote.created_at, remote.edited_at, remote.key_time)
    return max(t for t in times if t is not None)


def edited_in_window(remote: RemotePost | None, since: datetime) -> bool:
    """Changed on the platform within the window (by whoever holds the credential)."""
    return remote is not None and remote.edited_at is not None and remote.edited_at >= since


def decide(
    remote: RemotePost | None,
    post: Post | None,
    author: str | None,
    since: datetime,
    scope: Scope,
    *,
    written: bool = False,
) -> Decision:
    """One post: ``remote`` as listed (None when the listing missed it), ``post`` Postgate's
    row when Postgate published it, ``author`` that row's author's username; ``written``
    when the platform's history shows it written in the window."""
    remote_id = remote.remote_id if remote is not None else (post.remote_id if post else None)
    if post is not None and post.crisis_statement:
        return Decision(False, "crisis statement: never deleted")
    if remote_id in scope.exclude:
        return Decision(False, "excluded by the lead")
    if post is None:
        assert remote is not None
        if platform_time(remote) >= since:
            return Decision(True, "not published by Postgate")
        if written:
            return Decision(True, "not published by Postgate; its dates are back-dated")
        return Decision(False, "before the window")
    if edited_in_window(remote, since):
        return Decision(True, "edited on the platform after Postgate published it")
    published = post.published_at
    if published is None or published < since:
        return Decision(False, "before the window")
    if scope.chooses(author):
        return Decision(True, "Postgate post chosen by the lead")
    return Decision(False, "Postgate post not chosen")
