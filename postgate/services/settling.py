"""Posts whose outcome is unknown, and a person settling them (invariant 5).

After a lost or unreadable answer the worker keeps its claim and reads the account back; when
the account cannot be read back, nobody can tell whether the post went out, and Postgate
never sends it again on its own: the post stays ``publishing`` with a reason saying so, the
console lists it, and a reviewer or the security lead who looked at the platform settles it
(``POST /api/v1/posts/{id}/settle``, or the button on the post's page, both with 2FA):

- ``live_url``: it is on the platform there → ``published`` with that URL (and the remote id
  the URL names, so a takedown can find it);
- ``not_published``: it is not → ``failed``, saying who settled it, so nothing publishes it
  by surprise later.

Settling ends the claim (a conditional update: a read-back finishing at the same moment
changes nothing afterwards) and is audited ``post:settle``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import policy
from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.posts import visible_post
from postgate.states import PostStatus
from postgate.store.models import Post, User
from postgate.store.types import utcnow

MAX_URL = 512  # posts.remote_url
_NUMERIC_ID = re.compile(r"/(\d{1,30})/?$")
_BLUESKY = re.compile(r"^/profile/([^/]+)/post/([a-z2-7]{13})/?$")


def outcome_unknown(post: Post) -> bool:
    """Whether the post waits for its outcome: claimed, the answer lost or unread, and not
    yet found (or not findable) on the account."""
    unknown = bool(post.outcome_unknown) or bool(post.unresolved_reason)
    return post.status == PostStatus.PUBLISHING and unknown


def waiting_for_a_person(db: Session) -> list[Post]:
    """Posts whose outcome is unknown because the account cannot be read back: the console
    lists them until someone settles them or the read-back succeeds."""
    query = select(Post).where(Post.status == PostStatus.PUBLISHING, Post.unresolved_reason != "")
    return list(db.scalars(query.order_by(Post.claimed_at, Post.id)))


def settle(
    rt: Runtime,
    db: Session,
    user: User,
    post_id: int,
    *,
    live_url: str | None,
    not_published: bool,
    source: str = "",
) -> Post:
    """Record what the person saw on the platform (see the module docstring).

    The caller has already checked the user's fresh TOTP (step-up).
    """
    if not user.has_role(*policy.SETTLE_POSTS):
        raise Forbidden("settling a post needs the reviewer or security role")
    if bool(live_url) == bool(not_published):
        raise ValidationFailed("give either live_url or not_published: true", field="live_url")
    post = visible_post(db, user, post_id, lock=True)
    if not outcome_unknown(post):
        raise Conflict(
            "only a post whose outcome is unknown can be settled; this one is {status}",
            field="status",
            status=post.status,
        )
    heard = post.status_reason
    if live_url:
        _published(post, _checked_url(post, live_url))
    else:
        post.status = PostStatus.FAILED
        post.reason = f"not published, settled by {user.username}"
    post.claim_token, post.outcome_unknown, post.unresolved_reason = None, False, ""
    rt.audit(
        db,
        Event.POST_SETTLE,
        actor=user.username,
        target=f"post:{post.id}",
        source=source,
        details={
            "outcome": post.status,
            "live_url": post.remote_url if live_url else None,
            "remote_id": post.remote_id if live_url else None,
            "reason_before": heard[:500],
        },
    )
    return post


def _published(post: Post, url: str) -> None:
    post.status, post.reason = PostStatus.PUBLISHED, ""
    post.remote_url = url
    post.remote_id = remote_id_from_url(post.account.platform, url)
    post.published_at = post.claimed_at or utcnow()


def _checked_url(post: Post, url: str) -> str:
    """An http(s) link, on the account's own server for platforms that have one."""
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("live_url must be the post's http(s) address", field="live_url")
    server = urlsplit(post.account.base_url or "").hostname
    if server and parts.hostname.lower() != server.lower():
        raise ValidationFailed(
            "live_url must be on the account's server, {host}", field="live_url", host=server
        )
    return url


def remote_id_from_url(platform: str, url: str) -> str | None:
    """The platform's id of the post a web address shows, when the address names it:
    the status id of ``https://host/@user/123`` or ``https://x.com/user/status/123``, the
    ``at://`` URI of ``https://bsky.app/profile/<handle>/post/<rkey>``."""
    path = urlsplit(url).path
    if platform == "bluesky":
        match = _BLUESKY.match(path)
        return f"at://{match.group(1)}/app.bsky.feed.post/{match.group(2)}" if match else None
    match = _NUMERIC_ID.search(path)
    return match.group(1) if match else None
