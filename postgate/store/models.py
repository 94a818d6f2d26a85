"""SQLAlchemy models for the whole domain of DESIGN.md.

Secrets (TOTP secrets, platform credentials) are held only as ciphertext from
:mod:`postgate.vault`; tokens and recovery codes only as hashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from postgate.states import (
    AccountStatus,
    AlertKind,
    CommentKind,
    ItemOrigin,
    ItemOutcome,
    OutboxStatus,
    PostStatus,
    Role,
    TakedownStatus,
    reason_text,
)
from postgate.store.types import StateType, StoreInteger, UTCDateTime, utcnow

ROLES: tuple[Role, ...] = tuple(Role)
POST_STATUSES: tuple[PostStatus, ...] = tuple(PostStatus)
ACCOUNT_STATUSES: tuple[AccountStatus, ...] = tuple(AccountStatus)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        int: StoreInteger(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(64), default="")
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_totp_step: Mapped[int] = mapped_column(StoreInteger, default=0)
    otp_failures: Mapped[int] = mapped_column(StoreInteger, default=0)
    otp_locked_until: Mapped[datetime | None]
    otp_lockouts: Mapped[int] = mapped_column(StoreInteger, default=0)  # locks in a row
    otp_locked_at: Mapped[datetime | None]  # when the latest lock began
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Cooling-off: made reviewer (or reset) by a lone admin, they approve nothing before this.
    approve_after: Mapped[datetime | None]
    # The IANA zone the web app shows this person's times in; None: the organisation's.
    timezone: Mapped[str | None] = mapped_column(String(64))

    @property
    def role_set(self) -> frozenset[str]:
        """The roles held, as plain strings (``Role`` members compare equal to them)."""
        return frozenset(r for r in self.roles.split() if r)

    def has_role(self, *roles: Role | str) -> bool:
        return bool(self.role_set.intersection(roles))


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None]


class AuthToken(Base):
    """A web session or an API token; only the SHA-256 of the bearer value is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "session" (login) or "api" (named token)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    step_up_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(255), default="")
    base_url: Mapped[str | None] = mapped_column(String(255))
    remote_account_id: Mapped[str | None] = mapped_column(String(255))
    credentials_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AccountStatus] = mapped_column(
        StateType(AccountStatus, 16), default=AccountStatus.ACTIVE
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    windows: Mapped[list[Any]] = mapped_column(default=list)
    blackout_dates: Mapped[list[Any]] = mapped_column(default=list)
    approvals_required: Mapped[int] = mapped_column(StoreInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the server itself states (Mastodon-API: GET /api/v2/instance), read when the
    # account is connected and daily after: {"max_length", "max_media", "url_length"}.
    server_limits: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    server_limits_at: Mapped[datetime | None]
    # When the token ends: the credentials' ``expires_at``, kept here so that the refresh job
    # finds the tokens ending soon without decrypting every account (services/token_refresh).
    token_expires_at: Mapped[datetime | None]
    # The watch (postgate.services.watch): freeze the account as soon as it raises an alert.
    watch_auto_freeze: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_status_scheduled", "status", "scheduled_at"),
        # Keyset pages of the lists (postgate.services.post_lists), per filter.
        Index("ix_posts_status_id", "status", "id"),
        Index("ix_posts_author_id_id", "author_id", "id"),
        Index("ix_posts_account_id_id", "account_id", "id"),
        Index("ix_posts_created_at", "created_at"),
        # The rules' duplicate check: an account's posts published lately (checking._recent),
        # read by every submission, however many posts the account has.
        Index("ix_posts_account_status_published", "account_id", "status", "published_at"),
        # A post by the platform's id on its account: the watch judges every post a poll
        # lists, takedowns and their previews read the listed ones, however old the account.
        Index("ix_posts_account_remote_id", "account_id", "remote_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(default=list)
    media: Mapped[list[Any]] = mapped_column(default=list)
    scheduled_at: Mapped[datetime | None]
    status: Mapped[PostStatus] = mapped_column(
        StateType(PostStatus, 16), default=PostStatus.PENDING_REVIEW
    )
    reason: Mapped[str] = mapped_column("status_reason", Text, default="")
    """What happened to the post last, in words; machine state goes in the columns below."""
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A claim is kept after a lost or unreadable answer: read the account back before retrying."""
    unresolved_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Why the account cannot be read back to settle an unknown outcome ("" when it can)."""
    content_hash: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(StoreInteger, default=1)
    findings: Mapped[list[Any]] = mapped_column(default=list)
    rules_version: Mapped[str] = mapped_column(String(32), default="")
    crisis_statement: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_id: Mapped[str | None] = mapped_column(String(255))
    remote_url: Mapped[str | None] = mapped_column(String(512))
    published_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(StoreInteger, default=0)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Images already uploaded to the platform by an earlier attempt, reused by the next:
    # {MediaFile.key: {"ref": platform reference, "at": ISO time}} (postgate.platforms.media).
    media_uploads: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()
    author: Mapped[User] = relationship()
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="post", order_by="Approval.id", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[PostRevision]] = relationship(
        back_populates="post", order_by="PostRevision.revision", cascade="all, delete-orphan"
    )
    comments: Mapped[list[PostComment]] = relationship(
        back_populates="post", order_by="PostComment.id", cascade="all, delete-orphan"
    )

    @property
    def status_reason(self) -> str:
        """The reason shown to people (pages, API, CLI), rendered from the state columns."""
        return reason_text(
            self.reason or "",
            outcome_unknown=bool(self.outcome_unknown),
            unresolved_reason=self.unresolved_reason or "",
        )


class PostRevision(Base):
    """Each text a post had, so a reviewer can see what changed since the last approval."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(StoreInteger)
    text: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime | None]
    media: Mapped[list[Any] | None] = mapped_column(JSON)  # as Post.media; None before images
    content_hash: Mapped[str] = mapped_column(String(64))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions")


class PostComment(Base):
    """A note on a post between its author and reviewers, or a reviewer's reason for a
    rejection. Kept with the post's history; never part of its content hash."""

    __tablename__ = "post_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[CommentKind] = mapped_column(StateType(CommentKind, 16))
    body: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(StoreInteger)
    """The post's revision when the note was written."""
    at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Approval(Base):
    """One reviewer's approval of one exact content hash; voided by edits and revocations."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    acknowledged: Mapped[list[Any]] = mapped_column(default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str] = mapped_column(String(255), default="")

    post: Mapped[Post] = relationship(back_populates="approvals")
    reviewer: Mapped[User] = relationship()


class Freeze(Base):
    __tablename__ = "freezes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    account: Mapped[Account | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Takedown(Base):
    __tablename__ = "takedowns"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    account_ids: Mapped[list[Any]] = mapped_column(default=list)
    since: Mapped[datetime]
    status: Mapped[TakedownStatus] = mapped_column(
        StateType(TakedownStatus, 16), default=TakedownStatus.RUNNING
    )
    phase: Mapped[str] = mapped_column(String(32), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Which of Postgate's posts go and which posts never do (postgate.services.takedown_scope)
    scope: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[TakedownItem]] = relationship(
        back_populates="takedown", order_by="TakedownItem.id", cascade="all, delete-orphan"
    )


class TakedownAccount(Base):
    """One account's part of a takedown: its window (``since``, only ever moved earlier),
    the window its part last finished for, and whether its credential was verified revoked.

    Written in the same locked transactions as the takedown and its joins
    (``postgate.services.takedown_windows``); the worker reads it to decide what to do.
    """

    __tablename__ = "takedown_accounts"

    takedown_id: Mapped[int] = mapped_column(
        ForeignKey("takedowns.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    since: Mapped[datetime]
    finished: Mapped[datetime | None]
    credentials_revoked: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    # What the check after the deletions could not verify on this account ("" = nothing)
    gaps: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The deletion limit as this takedown saw it: {"resets_at", "per_window", "window_seconds"}
    deletion_pace: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TakedownItem(Base):
    __tablename__ = "takedown_items"
    __table_args__ = (UniqueConstraint("takedown_id", "account_id", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    takedown_id: Mapped[int] = mapped_column(ForeignKey("takedowns.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    remote_id: Mapped[str] = mapped_column(String(255))
    origin: Mapped[ItemOrigin] = mapped_column(StateType(ItemOrigin, 16))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[ItemOutcome] = mapped_column(
        StateType(ItemOutcome, 16), default=ItemOutcome.PENDING
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(StoreInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    takedown: Mapped[Takedown] = relationship(back_populates="items")
    account: Mapped[Account] = relationship()


class WatchAlert(Base):
    """Something the watch saw on an account that Postgate did not do, with its evidence.

    One row per (account, kind, remote id, fingerprint): the same post seen again by the
    stream and by the backfill is one alert. ``fingerprint`` tells apart successive edits of
    one post (its ``edited_at``) and successive profile changes (a hash of the profile).
    """

    __tablename__ = "watch_alerts"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "remote_id", "fingerprint", name="uq_watch_alert"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[AlertKind] = mapped_column(StateType(AlertKind, 32))
    remote_id: Mapped[str] = mapped_column(String(255), default="")
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))  # ours, when it is
    url: Mapped[str | None] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]  # when it happened on the platform (or when it was seen)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16), default="poll")  # "stream" or "poll"
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    froze: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    account: Mapped[Account] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()


class WatchState(Base):
    """Where the watch of one account stands: what it has seen and the profile it knows."""

    __tablename__ = "watch_states"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)  # nothing older alarms
    last_seen_id: Mapped[str | None] = mapped_column(String(255))
    last_seen_at: Mapped[datetime | None]
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    profile_hash: Mapped[str] = mapped_column(String(64), default="")
    # Postgate's posts the last reading listed, remote id -> the platform's created_at: one
    # missing from the next complete listing was deleted.
    ours_live: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checked_at: Mapped[datetime | None]  # the last pass or stream event
    mode: Mapped[str] = mapped_column(String(16), default="")  # "stream" or "poll"
    problem: Mapped[str] = mapped_column(Text, default="")  # the last failure, "" when fine


class AuditEntry(Base):
    """One link of the hash chain: ``hash = HMAC(key, canonical(entry) + prev_hash)``."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_seq", "actor", "seq"),
        Index("ix_audit_entries_at", "at"),
    )

    seq: Mapped[int] = mapped_column(StoreInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[str] = mapped_column(String(32), default="ok")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row holding the chain's tip; updating it first serialises appenders."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(StoreInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    sig: Mapped[str | None] = mapped_column(String(64))  # HMAC of (seq, hash): see audit.py


class WorkerHeartbeat(Base):
    """A worker process's last sign of life, by worker name.

    Written by the worker every few seconds (and to Redis too), read by ``postgate worker
    --check``, which a container's health check runs; ``stopped_at`` is set when the worker
    stopped warmly, so a stopped worker reads as stopped rather than as silently stale.
    """

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    pid: Mapped[int] = mapped_column(StoreInteger)
    version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ConfigVersion(Base):
    """The version of a configuration in force (``rules``: the rule set's hash), so the
    first process to load another one records ``config:rules`` once."""

    __tablename__ = "config_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), default="")
    changed_at: Mapped[datetime | None]


class RuleVersion(Base):
    """One version of the rules (TOML) and the catalogue (CSV), kept whole so any version can
    be shown, compared and rolled back to. ``status``: ``applied`` (took effect at
    ``applied_at``; the latest applied one is in force), ``pending`` (it loosens protection,
    ``loosening`` says how: it waits for a second person's approval), ``rejected``.
    ``base_id`` is the version in force when it was proposed: its diff is against that one,
    and a pending version whose base is no longer in force cannot be approved."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    rules: Mapped[str] = mapped_column(Text)
    catalog: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    base_id: Mapped[int | None] = mapped_column(StoreInteger)
    rollback_of: Mapped[int | None] = mapped_column(StoreInteger)
    loosening: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None] = mapped_column(index=True)


class EnrolmentLink(Base):
    """A single-use link through which a person sets their own password and enrols their own
    authenticator, so no admin ever sees them (DESIGN.md invariant 2).

    Only the SHA-256 of the link's token is stored. What the person chose waits here (the
    password as its argon2 hash, the new TOTP secret encrypted) until a code from their
    authenticator confirms it; only then does it reach the user and the link is used up.
    ``purpose`` says what the link sets: ``new`` (both), ``password`` or ``totp``.
    """

    __tablename__ = "enrolment_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(StoreInteger, default=0)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


class PendingChange(Base):
    """A change to someone's access that waits for a second admin (DESIGN.md invariant 2):
    granting ``reviewer``, ``security`` or ``admin`` (``kind`` ``roles``, with the roles asked
    for), or resetting a ``password`` or ``totp``. Both admins see it, and the security lead
    in the console; ``outcome`` is ``pending``, then ``confirmed`` or ``cancelled``."""

    __tablename__ = "pending_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    roles: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it lapses unanswered (postgate.services.lapsing); None: never.
    expires_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class AccountChange(Base):
    """A change of an account's posting windows or blackout dates that loosens them (a
    minute newly allowed, a blackout date removed): it waits for a second person, another
    admin or the security lead, with 2FA (issue 17). ``changes`` holds the windows and
    blackout dates asked for, ``widens`` what they would allow that was not; ``outcome`` is
    ``pending``, then ``approved`` or ``denied``."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    widens: Mapped[list[Any]] = mapped_column(JSON, default=list)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it lapses unanswered (postgate.services.lapsing); None: never.
    expires_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()


class OAuthFlow(Base):
    """One OAuth consent in progress (:mod:`postgate.services.oauth_connect`).

    Only the SHA-256 of the ``state`` sent to the platform is stored. The flow belongs to the
    admin's session (``session_id``) and user, ends at ``expires_at``, and is used up once:
    ``used_at`` when the callback takes it, ``finished_at`` when an account is connected (a
    flow that must pick a Page or an organisation waits between the two). What must stay
    secret (the PKCE verifier, a registered app's secret, the token while the admin picks) is
    encrypted in ``secrets_enc``; ``request`` holds the account's settings as typed.
    """

    __tablename__ = "oauth_flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("auth_tokens.id", ondelete="CASCADE"))
    account_name: Mapped[str] = mapped_column(String(64))
    reconnect: Mapped[bool] = mapped_column(Boolean, default=False)
    base_url: Mapped[str | None] = mapped_column(String(255))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets_enc: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class MediaItem(Base):
    """One uploaded image: metadata already stripped, bytes kept by SHA-256 in the media
    backend (``postgate.media.storage``). A post names it in ``Post.media`` with its alt text;
    the text Tesseract read in it (``ocr_text``) runs through the rules like the post's."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(StoreInteger)
    height: Mapped[int] = mapped_column(StoreInteger)
    size: Mapped[int] = mapped_column(StoreInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ocr_status: Mapped[str] = mapped_column(String(16), default="pending")
    ocr_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship()


class MediaBlob(Base):
    """Image bytes in the store itself (the default media backend), named by SHA-256."""

    __tablename__ = "media_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(StoreInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class RateLimitCount(Base):
    """A rate limit's count while Redis does not answer (:mod:`postgate.ratelimit`).

    Redis holds the counts normally; these rows stand in for them during an outage, so
    logins stay limited (and possible) without Redis. ``expires_at`` is in whole seconds
    since the epoch, which both stores compare the same way inside one ``UPSERT``.
    """

    __tablename__ = "rate_limit_counts"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class StoreLease(Base):
    """A lease held in the store (:mod:`workers.store_lease`): one holder at a time.

    A takedown's run holds one beside its Redis lease, so that only one run works on a
    takedown whether Redis answers or not (without Redis, the workers' reconcilers run
    takedowns themselves). ``expires_at`` is in milliseconds since the epoch, by the
    database's clock on PostgreSQL (workers on several machines) and the process's on
    SQLite (one machine).
    """

    __tablename__ = "store_leases"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[int] = mapped_column(BigInteger)


class NotifyChannel(Base):
    """Somewhere Postgate sends messages: an Apprise URL (e-mail, Slack, Teams, Mattermost,
    a JSON webhook...), held encrypted like platform credentials since such URLs carry
    passwords and tokens. ``user_id`` None: one of the organisation's channels, which
    receives the ``audiences`` listed (``security``, ``reviews``, ``posts``)."""

    __tablename__ = "notify_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # the URL's scheme, shown instead of the URL
    url_enc: Mapped[str] = mapped_column(Text)
    audiences: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotifyPreference(Base):
    """A person's language for messages and, optionally, the e-mail address they are sent
    to through the organisation's SMTP server (encrypted: an address is personal data)."""

    __tablename__ = "notify_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), default="fr")
    email_enc: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """One item of a person's in-app list: what happened, in parameters rendered in the
    reader's language when shown (``postgate.notifications.messages``)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    audit_seq: Mapped[int | None] = mapped_column(StoreInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One message for one channel, written in the transaction of the event it announces
    and delivered by a worker (``postgate.notifications.outbox``).

    ``status``: ``pending`` (waiting for ``due_at``), ``sending`` (claimed by a worker under
    ``claim_token`` since ``claimed_at``; a lease that runs out makes it claimable again),
    ``sent``, ``skipped`` (nothing left to say when due) or ``failed`` (out of attempts).
    ``channel``: ``user:<channel id>``, ``org:<channel id>``, ``env:<hash of the URL>``,
    ``email:<user id>`` or ``inapp:<user id>``.
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    audit_seq: Mapped[int | None] = mapped_column(StoreInteger)
    status: Mapped[OutboxStatus] = mapped_column(
        StateType(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(StoreInteger, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
