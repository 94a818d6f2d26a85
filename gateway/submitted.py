"""What the compose page and ``POST /posts`` say after a submission.

A submitted post is either in review or ``blocked`` by its rules (a banned term, a freeze...).
Announcing "2 posts sent for review" when both were blocked sent authors waiting for a review
that never comes, so the words follow each post's status and name the blocking findings, in
the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from gateway.i18n import finding_text
from postgate.services.account_warnings import account_warning
from postgate.services.quotas import quota_warning
from postgate.states import EDITABLE, PostStatus
from postgate.store.models import Post
from rules.base import BLOCK


def blocking_reasons(posts: Sequence[Post]) -> str:
    """The blocking findings of ``posts``, each once, in the reader's language."""
    seen: list[str] = []
    for post in posts:
        for finding in post.findings or []:
            text = finding_text(finding) if finding.get("severity") == BLOCK else ""
            if text and text not in seen:
                seen.append(text)
    return "; ".join(seen) or gettext("blocking findings")


def flashes(posts: Sequence[Post]) -> list[tuple[str, str]]:
    """(category, message) pairs for the compose page: the sent ones, then the blocked."""
    blocked = [p for p in posts if p.status == PostStatus.BLOCKED]
    kept = sum(p.status == PostStatus.DRAFT for p in posts)
    sent = len(posts) - len(blocked) - kept
    out = []
    if kept:
        out.append(
            (
                "info",
                ngettext(
                    "%(num)d draft saved; nobody reviews it until you submit it.",
                    "%(num)d drafts saved; nobody reviews them until you submit them.",
                    kept,
                ),
            )
        )
    if sent:
        out.append(
            (
                "info",
                ngettext("%(num)d post sent for review.", "%(num)d posts sent for review.", sent),
            )
        )
    if blocked:
        out.append(
            (
                "error",
                ngettext(
                    "%(num)d post blocked, not sent for review: %(reasons)s",
                    "%(num)d posts blocked, not sent for review: %(reasons)s",
                    len(blocked),
                    reasons=blocking_reasons(blocked),
                ),
            )
        )
    return out


def answer_message(post: Post) -> str:
    """The ``message`` of the ``POST /posts`` answer."""
    if post.status == PostStatus.DRAFT:
        return gettext("Saved as a draft; nobody reviews it until you submit it.")
    if post.status == PostStatus.BLOCKED:
        return gettext(
            "Blocked, not sent for review: %(reasons)s", reasons=blocking_reasons([post])
        )
    return gettext("Sent for review.")


def post_warnings(db: Session, post: Post) -> list[dict[str, Any]]:
    """The post's warnings for the answer, each with its message in the reader's language:
    its account cannot publish (``postgate.services.account_warnings``), the platform's
    posting quota it would exceed (``postgate.services.quotas``)."""
    found = (
        account_warning(post.account),
        quota_warning(db, post.account, post.scheduled_at, post_id=post.id),
    )
    return [{**warning, "message": finding_text(warning)} for warning in found if warning]


# Posts that have not gone to the platform yet (a rejected one may come back after an edit).
AHEAD = frozenset(EDITABLE)


def ahead_warnings(db: Session, post: Post) -> list[dict[str, Any]]:
    """:func:`post_warnings` while the post is still ahead of publishing (a reviewer
    approving a post for a disconnected account should know it will wait), none once it is
    out, cancelled or taken down."""
    return post_warnings(db, post) if post.status in AHEAD else []
