"""The vocabularies of the domain's state, each one ``StrEnum`` with its named groups.

Every status, role and outcome the store holds is spelled once, here, like the audit log's
:class:`postgate.audit.Event`: code compares with ``PostStatus.SCHEDULED`` or asks
``status in EDITABLE``, never with a bare string or a tuple of its own, so a state cannot be
misspelt and a group (which statuses an author may still edit) cannot drift between the
service, the page and the worker. The members are ``str``: they are stored, sent as JSON and
shown in templates as their value, so the store and the API read exactly as before. The
states and how a post moves between them are those of DESIGN.md ("Domain").
"""

from __future__ import annotations

import enum


class PostStatus(enum.StrEnum):
    """Where a post is on its way to the platform (DESIGN.md, "Post states")."""

    DRAFT = "draft"  # saved by its author, not submitted: no review, never published
    PENDING_REVIEW = "pending_review"
    BLOCKED = "blocked"  # blocking findings; the author can edit it
    SCHEDULED = "scheduled"  # approved, waiting for its time
    PUBLISHING = "publishing"  # a worker holds its claim
    PUBLISHED = "published"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"  # the platform refused after retries; a reviewer may retry it
    DELETED = "deleted"  # taken down


WAITING: tuple[PostStatus, ...] = (
    PostStatus.PENDING_REVIEW,
    PostStatus.BLOCKED,
    PostStatus.SCHEDULED,
)
"""Submitted and not yet taken by a worker: may still be rejected or marked a crisis statement."""

EDITABLE: tuple[PostStatus, ...] = (PostStatus.DRAFT, *WAITING, PostStatus.REJECTED)
"""What its author may still edit, or cancel; an edit sends it back through review."""

CANCELLABLE: tuple[PostStatus, ...] = EDITABLE
"""What may be cancelled: whatever may still be edited."""

UNPUBLISHED: tuple[PostStatus, ...] = (*WAITING, PostStatus.PUBLISHING)
"""Not on the platform yet, and still on its way there: approvals of these can be voided."""

WITHDRAWN: tuple[PostStatus, ...] = (PostStatus.CANCELLED, PostStatus.REJECTED)
"""Stopped by a person before publishing: whatever was queued for it goes."""


class CommentKind(enum.StrEnum):
    """What a note on a post is: a plain comment, or the reason a reviewer gave on rejecting."""

    COMMENT = "comment"
    REJECTION = "rejection"


class AccountStatus(enum.StrEnum):
    """Whether an account may publish (DESIGN.md, "Account")."""

    ACTIVE = "active"
    FROZEN = "frozen"
    COMPROMISED = "compromised"
    DISCONNECTED = "disconnected"


NEEDS_CREDENTIALS: tuple[AccountStatus, ...] = (
    AccountStatus.COMPROMISED,
    AccountStatus.DISCONNECTED,
)
"""Accounts that new, verified credentials make ``active`` again."""


class Role(enum.StrEnum):
    """What a person may do; a user may hold several (DESIGN.md invariant 11)."""

    AUTHOR = "author"
    REVIEWER = "reviewer"
    SECURITY = "security"
    ADMIN = "admin"


class AlertKind(enum.StrEnum):
    """What the watch saw on an account that Postgate did not do (invariant 13)."""

    UNAUTHORIZED_POST = "unauthorized_post"  # a post Postgate did not publish
    EDITED = "edited"  # one of Postgate's posts, edited on the platform
    DELETED = "deleted"  # one of Postgate's posts, deleted by someone else
    PROFILE_CHANGED = "profile_changed"  # display name, bio, avatar, header or fields


class TakedownStatus(enum.StrEnum):
    """A takedown runs, then is ``done`` only when everything is verified (invariant 8)."""

    RUNNING = "running"
    DONE = "done"
    DONE_WITH_GAPS = "done_with_gaps"


class ItemOrigin(enum.StrEnum):
    """Who made a post a takedown found: Postgate, or someone else on the account."""

    POSTGATE = "postgate"
    UNAUTHORIZED = "unauthorized"


class ItemOutcome(enum.StrEnum):
    """What became of one post a takedown covers (CONTRACT.md, "A takedown")."""

    PENDING = "pending"
    NEUTRALISED = "neutralised"
    DELETED = "deleted"
    NOT_FOUND = "not_found"
    FAILED = "failed"
    STILL_LIVE = "still_live"
    UNVERIFIED = "unverified"


GONE: tuple[ItemOutcome, ...] = (ItemOutcome.DELETED, ItemOutcome.NOT_FOUND)
"""Verified no longer on the platform: the only outcomes a ``done`` takedown holds."""


# What a post's reason says about a claim whose outcome is unknown. The state is in columns
# (``Post.outcome_unknown``, ``Post.unresolved_reason``); these notes only render it.
READ_BACK_NOTE = " (outcome unknown: the account is read back before any retry)"
UNRESOLVED_NOTE = "the account cannot be read back to settle the outcome"


def reason_text(reason: str, *, outcome_unknown: bool, unresolved_reason: str) -> str:
    """The reason a person reads: what happened, then what is still unknown and why."""
    text = reason + READ_BACK_NOTE if outcome_unknown else reason
    if not unresolved_reason:
        return text
    note = f"{UNRESOLVED_NOTE}: {unresolved_reason}; still trying"
    return (f"{text}; {note}" if text else note)[:2000]


class OutboxStatus(enum.StrEnum):
    """Where one message of the notification outbox is (``postgate.notifications.outbox``)."""

    PENDING = "pending"  # waiting for its due time, or for a retry
    SENDING = "sending"  # claimed by a worker; taken up again once its lease runs out
    SENT = "sent"
    SKIPPED = "skipped"  # nothing left to say when due, or nobody left to say it to
    FAILED = "failed"  # out of attempts
