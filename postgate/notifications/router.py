"""From audit actions to messages, in the event's own transaction.

:meth:`postgate.runtime.Runtime.audit` calls :func:`route` right after appending an entry, in
the caller's transaction: the in-app items and the outbox rows written here commit or roll
back with the event itself. After the commit the new rows are handed to the queue
(:func:`postgate.queue.enqueue_notify`); when that fails, the reconciler finds them anyway.

What goes to whom (docs/notifications.md):

- reviewers: each post submitted or sent back to review (in-app at once; on their channels
  one batched "N posts await your review" at most every ``review_batch_seconds``), and a
  reminder ``review_reminder_minutes`` before a scheduled post's time while it lacks
  approvals;
- authors: approved, rejected, published, blocked at publish time, failed, outcome unknown;
- security leads and admins, the organisation's security channels and
  ``POSTGATE_NOTIFY_URLS``: lockouts, repeated failed logins, role and 2FA changes,
  revocations, freezes and lifts, takedowns and their gaps, disconnected accounts, and every
  ``watch.*`` action (the watch's alerts), at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import audit_commit, queue
from postgate.notifications import recipients as who
from postgate.notifications.kinds import Audience, Kind
from postgate.states import OutboxStatus, PostStatus
from postgate.store.db import call_after_commit
from postgate.store.models import AuditEntry, Notification, OutboxMessage, Post, User
from postgate.store.types import utcnow

if TYPE_CHECKING:
    from postgate.runtime import Runtime

log = logging.getLogger("postgate.notifications")
KICK = "notify-kick"
MAX_TEXT = 500
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")
_SECRETISH = re.compile(
    r"\b[A-Za-z0-9_\-]{32,}\b"  # long tokens, keys, hashes
    r"|(?<![\d.:])\d{6}(?![\d.:])"  # a one-time code
)
PLAIN_KEYS = frozenset({"at", "until", "since", "scheduled_at", "url", "link"})


def safe(value: Any, key: str = "") -> str:
    """A text fit for a message: shortened, credentials in URLs removed, and in free text
    anything shaped like a token or a one-time code replaced. Only chosen fields of an entry
    reach a message at all; times and links keep their digits."""
    text = _CREDENTIALS.sub(r"\1", str(value if value is not None else ""))
    if key not in PLAIN_KEYS:
        text = _SECRETISH.sub("[…]", text)
    return text[:MAX_TEXT]


@dataclass
class Routed:
    """One message for people and channels: ``users`` get it in-app and on their own
    channels; the organisation's channels for ``audience`` get it too; ``env`` adds
    ``POSTGATE_NOTIFY_URLS``."""

    kind: Kind
    params: dict[str, Any]
    users: list[User] = field(default_factory=list)
    audience: Audience = Audience.POSTS
    env: bool = False
    skip_actor: bool = False  # the one who acted knows: roles, 2FA, freezes, takedowns
    organisation: bool = True  # False: for its people only (comments), no shared channel


class _Kick:
    """The after-commit callback: enqueue the rows this transaction wrote."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.rows: list[tuple[int, int, datetime]] = []  # id, attempts, due

    def __call__(self) -> None:
        for ident, attempts, due in self.rows:
            try:
                queue.enqueue_notify(self.rt, ident, attempts, due)
            except Exception:  # the reconciler enqueues what is left
                log.warning("notification %s not queued; the reconciler will", ident, exc_info=True)


def route(rt: Runtime, db: Session, entry: AuditEntry) -> None:
    """Write what ``entry`` announces: in-app items and outbox rows, in ``db``'s transaction."""
    action = entry.action
    if action.startswith("notify:"):
        return
    if action in ("post:submit", "post:edit", "post:unfreeze"):
        _review_requested(rt, db, entry)
        return
    builder = _BUILDERS.get(action) or (_watch if action.startswith("watch.") else None)
    routed = builder(db, entry) if builder else None
    if routed is not None:
        deliver(rt, db, routed, entry)


def deliver(rt: Runtime, db: Session, routed: Routed, entry: AuditEntry | None) -> None:
    """Write ``routed`` for its people (skipping the one who acted) and channels."""
    actor = entry.actor if entry else ""
    smtp = bool(rt.settings.notify_smtp_url)
    for user in routed.users:
        if user.disabled or (routed.skip_actor and user.username == actor):
            continue
        _in_app(db, entry, Notification(user_id=user.id, kind=routed.kind, params=routed.params))
        language = who.language_of(db, user.id, rt.settings.notify_language)
        for channel in who.personal_channels(db, user.id, smtp):
            _outbox(rt, db, channel, routed, language, entry, user.id)
    shared = who.organisation_channels(db, routed.audience) if routed.organisation else []
    for channel in shared:
        _outbox(rt, db, channel, routed, rt.settings.notify_language, entry, None)
    if routed.env:
        for channel in who.env_channels(rt.settings.notify_urls):
            _outbox(rt, db, channel, routed, rt.settings.notify_language, entry, None)


def _in_app(db: Session, entry: AuditEntry | None, row: Notification) -> None:
    db.add(row)
    audit_commit.follow(db, entry, row)


def _outbox(
    rt: Runtime,
    db: Session,
    channel: str,
    routed: Routed,
    language: str,
    entry: AuditEntry | None,
    user_id: int | None,
    due: Any = None,
) -> OutboxMessage:
    row = OutboxMessage(
        user_id=user_id,
        channel=channel,
        kind=str(routed.kind),
        params=routed.params,
        language=language,
        due_at=due or utcnow(),
    )
    db.add(row)
    audit_commit.follow(db, entry, row)
    db.flush()
    _kick(rt, db).rows.append((row.id, row.attempts, row.due_at))
    return row


def _kick(rt: Runtime, db: Session) -> _Kick:
    return call_after_commit(db, KICK, _Kick(rt))


# Reviews: in-app at once, batched on channels, and a reminder before the scheduled time.


def _review_requested(rt: Runtime, db: Session, entry: AuditEntry) -> None:
    post = _post(db, entry)
    if post is None or post.status != PostStatus.PENDING_REVIEW:
        return
    params = {
        "post": post.id,
        "account": post.account.name,
        "author": post.author.username,
        "link": f"/review/{post.id}",
    }
    people = who.reviewer_ids(db, besides=post.author_id)
    smtp = bool(rt.settings.notify_smtp_url)
    for user_id in people:
        _in_app(db, entry, Notification(user_id=user_id, kind=Kind.REVIEW_PENDING, params=params))
        language = who.language_of(db, user_id, rt.settings.notify_language)
        for channel in who.personal_channels(db, user_id, smtp):
            _digest(rt, db, channel, user_id, language)
    for channel in who.organisation_channels(db, Audience.REVIEWS):
        _digest(rt, db, channel, None, rt.settings.notify_language)
    _reminders(rt, db, post, people, entry)


def _digest(rt: Runtime, db: Session, channel: str, user_id: int | None, language: str) -> None:
    """One open digest per channel: a pending one already covers this post (it counts what
    awaits review when it is sent); else a new one, due a batch period after the last."""
    base = select(OutboxMessage.id).where(
        OutboxMessage.channel == channel, OutboxMessage.kind == Kind.REVIEW_DIGEST
    )
    if db.scalar(base.where(OutboxMessage.status == OutboxStatus.PENDING).limit(1)) is not None:
        return
    last = db.scalar(
        select(OutboxMessage.sent_at)
        .where(OutboxMessage.channel == channel, OutboxMessage.kind == Kind.REVIEW_DIGEST)
        .where(OutboxMessage.sent_at.is_not(None))
        .order_by(OutboxMessage.sent_at.desc())
        .limit(1)
    )
    now = utcnow()
    due = now
    if last is not None:
        due = max(now, last + timedelta(seconds=rt.settings.review_batch_seconds))
    routed = Routed(Kind.REVIEW_DIGEST, {"link": "/review"}, audience=Audience.REVIEWS)
    _outbox(rt, db, channel, routed, language, None, user_id, due)


def _reminders(rt: Runtime, db: Session, post: Post, people: list[int], entry: AuditEntry) -> None:
    if post.scheduled_at is None or rt.settings.review_reminder_minutes == 0:
        return
    now = utcnow()
    if post.scheduled_at <= now:
        return
    due = max(now, post.scheduled_at - timedelta(minutes=rt.settings.review_reminder_minutes))
    params = {
        "post": post.id,
        "revision": post.revision,
        "account": post.account.name,
        "scheduled_at": post.scheduled_at.isoformat(),
        "link": f"/review/{post.id}",
    }
    routed = Routed(Kind.REVIEW_REMINDER, params, audience=Audience.REVIEWS)
    smtp = bool(rt.settings.notify_smtp_url)
    for user_id in people:
        language = who.language_of(db, user_id, rt.settings.notify_language)
        for channel in [f"inapp:{user_id}", *who.personal_channels(db, user_id, smtp)]:
            _outbox(rt, db, channel, routed, language, entry, user_id, due)
    for channel in who.organisation_channels(db, Audience.REVIEWS):
        _outbox(rt, db, channel, routed, rt.settings.notify_language, entry, None, due)


# Authors.


def _post(db: Session, entry: AuditEntry) -> Post | None:
    kind, _, ident = entry.target.partition(":")
    return db.get(Post, int(ident)) if kind == "post" and ident.isdigit() else None


def _for_author(kind: Kind, **extra: Callable[[AuditEntry, Post], Any]) -> Callable[..., Any]:
    def build(db: Session, entry: AuditEntry) -> Routed | None:
        post = _post(db, entry)
        if post is None:
            return None
        params: dict[str, Any] = {
            "post": post.id,
            "account": post.account.name,
            "link": f"/posts/{post.id}",
        }
        params |= {name: safe(get(entry, post), name) for name, get in extra.items()}
        return Routed(kind, params, users=[post.author], audience=Audience.POSTS)

    return build


def _detail(name: str) -> Callable[[AuditEntry, Post], Any]:
    return lambda entry, post: (entry.details or {}).get(name, "")


def _blocked_at_publish(db: Session, entry: AuditEntry) -> Routed | None:
    if (entry.details or {}).get("at") != "publish":
        return None  # a reviewer's check found a blocking finding: the review page says it
    return _for_author(Kind.POST_BLOCKED, reason=_detail("reason"))(db, entry)


# Security leads and admins, and the security channels.


def _security(kind: Kind, params: dict[str, Any], db: Session, link: str = "/security") -> Routed:
    return Routed(
        kind,
        {k: safe(v, k) for k, v in params.items()} | {"link": link},
        users=who.security_people(db),
        audience=Audience.SECURITY,
        env=True,
        skip_actor="by" in params,
    )


def _user_of(entry: AuditEntry) -> str:
    return entry.target.partition(":")[2] or entry.actor


def _lockout(db: Session, entry: AuditEntry) -> Routed:
    until = (entry.details or {}).get("until", "")
    return _security(Kind.SECURITY_LOCKOUT, {"user": _user_of(entry), "until": until}, db)


def _rate_limited(db: Session, entry: AuditEntry) -> Routed | None:
    limit = str((entry.details or {}).get("limit", ""))
    if not limit.startswith("login"):
        return None
    params = {"user": entry.actor or "?", "source": entry.source or "?", "limit": limit}
    return _security(Kind.SECURITY_LOGIN_FAILURES, params, db)


def _roles(db: Session, entry: AuditEntry) -> Routed:
    details = entry.details or {}
    params = {
        "user": _user_of(entry),
        "by": entry.actor,
        "before": " ".join(details.get("before") or []) or "-",
        "after": " ".join(details.get("after") or []) or "-",
    }
    return _security(Kind.SECURITY_ROLES, params, db)


def _totp(what: str) -> Callable[[Session, AuditEntry], Routed | None]:
    def build(db: Session, entry: AuditEntry) -> Routed | None:
        if (entry.details or {}).get("stage") == "started":
            return None
        params = {"user": _user_of(entry), "by": entry.actor, "what": what}
        return _security(Kind.SECURITY_TOTP, params, db)

    return build


def _revoke(db: Session, entry: AuditEntry) -> Routed:
    return _security(Kind.SECURITY_REVOKE, {"user": _user_of(entry), "by": entry.actor}, db)


def _freeze(db: Session, entry: AuditEntry) -> Routed:
    details = entry.details or {}
    scope = details.get("account") or "all accounts"
    params = {"scope": scope, "by": entry.actor, "reason": details.get("reason", "")}
    return _security(Kind.SECURITY_FREEZE, params, db)


def _lift(db: Session, entry: AuditEntry) -> Routed:
    scope = (entry.details or {}).get("account") or "all accounts"
    return _security(Kind.SECURITY_LIFT, {"scope": scope, "by": entry.actor}, db)


def _takedown_id(entry: AuditEntry) -> str:
    return entry.target.partition(":")[2]


def _takedown_start(db: Session, entry: AuditEntry) -> Routed:
    details = entry.details or {}
    params = {
        "takedown": _takedown_id(entry),
        "by": entry.actor,
        "accounts": ", ".join(details.get("accounts") or []) or "-",
        "since": details.get("since", ""),
    }
    return _security(
        Kind.SECURITY_TAKEDOWN_START, params, db, f"/security/takedowns/{params['takedown']}"
    )


def _takedown_done(db: Session, entry: AuditEntry) -> Routed:
    counts = dict(entry.details or {})
    clean = set(counts) <= {"deleted", "not_found"}
    params = {
        "takedown": _takedown_id(entry),
        "status": "done" if clean and entry.result == "ok" else "done_with_gaps",
        "counts": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-",
    }
    return _security(
        Kind.SECURITY_TAKEDOWN_DONE, params, db, f"/security/takedowns/{params['takedown']}"
    )


def _takedown_gap(db: Session, entry: AuditEntry) -> Routed | None:
    details = entry.details or {}
    if entry.action == "account:compromised":
        takedown = str(details.get("takedown", ""))
        if details.get("credentials_revoked") and not details.get("gaps"):
            return None
        reason = details.get("gaps") or details.get("reason") or "credentials not revoked"
        account = entry.target.partition(":")[2]
    else:
        if entry.result != "failed":
            return None
        takedown = _takedown_id(entry)
        account = details.get("account", "?")
        reason = details.get("listing_failed") or details.get("reason") or "failed"
    params = {"takedown": takedown, "account": account, "reason": reason}
    return _security(Kind.SECURITY_TAKEDOWN_GAP, params, db, f"/security/takedowns/{takedown}")


def _disconnected(db: Session, entry: AuditEntry) -> Routed | None:
    details = entry.details or {}
    if details.get("status") != "disconnected":
        return None
    params = {"account": entry.target.partition(":")[2], "reason": details.get("reason", "")}
    return _security(Kind.SECURITY_DISCONNECTED, params, db)


def _watch(db: Session, entry: AuditEntry) -> Routed:
    details = entry.details or {}
    params = {
        "action": entry.action,
        "account": details.get("account", entry.target.partition(":")[2]),
        "what": details.get("kind", entry.action.partition(".")[2]),
        "remote_id": details.get("remote_id", ""),
        "url": details.get("url", ""),
        "text": details.get("text", ""),
        "at": details.get("at", entry.at.isoformat()),
    }
    return _security(Kind.WATCH_ALERT, params, db, "/security/alerts")


def _comment(db: Session, entry: AuditEntry) -> Routed | None:
    """A comment, for the post's author and whoever commented on it before (not the writer)."""
    post = _post(db, entry)
    if post is None:
        return None
    people = {post.author_id: post.author} | {c.author_id: c.author for c in post.comments}
    params = {
        "post": post.id,
        "account": post.account.name,
        "by": entry.actor,
        "text": safe((entry.details or {}).get("text", ""), "text"),
        "link": f"/posts/{post.id}#comments",
    }
    shown = list(people.values())
    return Routed(Kind.POST_COMMENT, params, users=shown, skip_actor=True, organisation=False)


_BUILDERS: dict[str, Callable[[Session, AuditEntry], Routed | None]] = {
    "post:comment": _comment,
    "post:approve": _for_author(Kind.POST_APPROVED, by=lambda e, p: e.actor),
    "post:reject": _for_author(
        Kind.POST_REJECTED, by=lambda e, p: e.actor, reason=_detail("reason")
    ),
    "post:reschedule": _for_author(
        Kind.POST_RESCHEDULED, by=lambda e, p: e.actor, scheduled_at=_detail("to")
    ),
    "post:publish": _for_author(Kind.POST_PUBLISHED, url=_detail("url")),
    "post:block": _blocked_at_publish,
    "post:fail": _for_author(Kind.POST_FAILED, reason=_detail("reason")),
    "post:unresolved": _for_author(Kind.POST_UNRESOLVED, reason=_detail("reason")),
    "session:otp-locked": _lockout,
    "access:rate-limited": _rate_limited,
    "user:roles": _roles,
    "user:totp-reset": _totp("TOTP reset"),
    "user:totp-enroll": _totp("authenticator enrolled"),
    "user:revoke": _revoke,
    "freeze:set": _freeze,
    "freeze:lift": _lift,
    "takedown:start": _takedown_start,
    "takedown:done": _takedown_done,
    "takedown:item": _takedown_gap,
    "account:compromised": _takedown_gap,
    "account:credentials": _disconnected,
    "account:disconnected": _disconnected,  # a refused or ended token (services/disconnection)
}
