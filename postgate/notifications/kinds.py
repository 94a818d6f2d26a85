"""What Postgate tells people, and whom."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """Every message kind; each has its English and French text in :mod:`.messages`."""

    REVIEW_PENDING = "review.pending"  # in-app: one post awaits your review
    REVIEW_DIGEST = "review.digest"  # channels: N posts await your review (batched)
    REVIEW_REMINDER = "review.reminder"  # a scheduled post's time nears without approvals
    POST_APPROVED = "post.approved"
    POST_REJECTED = "post.rejected"
    POST_RESCHEDULED = "post.rescheduled"  # a reviewer approved it for a new time
    POST_PUBLISHED = "post.published"
    POST_BLOCKED = "post.blocked"
    POST_FAILED = "post.failed"
    POST_UNRESOLVED = "post.unresolved"
    POST_COMMENT = "post.comment"  # someone commented on a post you wrote or commented on
    SECURITY_LOCKOUT = "security.lockout"
    SECURITY_LOGIN_FAILURES = "security.login-failures"
    SECURITY_ROLES = "security.roles"
    SECURITY_TOTP = "security.totp"
    SECURITY_REVOKE = "security.revoke"
    SECURITY_FREEZE = "security.freeze"
    SECURITY_LIFT = "security.lift"
    SECURITY_TAKEDOWN_START = "security.takedown-start"
    SECURITY_TAKEDOWN_DONE = "security.takedown-done"
    SECURITY_TAKEDOWN_GAP = "security.takedown-gap"
    SECURITY_DISCONNECTED = "security.disconnected"
    WATCH_ALERT = "watch.alert"


class Audience(enum.StrEnum):
    """Who an organisation channel speaks to."""

    SECURITY = "security"  # security leads and admins: security events and watch alerts
    REVIEWS = "reviews"  # reviewers: posts awaiting review, reminders
    POSTS = "posts"  # authors: what became of posts


def audience_of(kind: Kind | str) -> Audience:
    text = str(kind)
    if text.startswith(("security.", "watch.")):
        return Audience.SECURITY
    if text.startswith("review."):
        return Audience.REVIEWS
    return Audience.POSTS


LANGUAGES = ("fr", "en")
