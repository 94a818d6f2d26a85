"""What the API answers, one model per shape: CONTRACT.md's post, takedown and error, and the
user, account, freeze, token and audit entry that docs/api.md describes.

Views hand these models what the services return (``posts.post_to_dict(post)``); the
declaration (``gateway.api.operations``) checks it against the model on the way out, so a
field added to a service's dict without its model here fails every test that reaches it.
Vocabularies come from where the store defines them (``POST_STATUSES``, ``ROLES``, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.api.types import Answer, Time, one_of
from postgate.services.duties import CHANGE_KINDS
from postgate.services.enrolment_links import PURPOSES
from postgate.services.takedown_view import OUTCOMES
from postgate.states import ItemOrigin
from postgate.store.models import ACCOUNT_STATUSES, POST_STATUSES, ROLES

PostStatus = one_of(POST_STATUSES)
Role = one_of(ROLES)
EnrolmentPurpose = one_of(PURPOSES)
ChangeKind = one_of(CHANGE_KINDS)


NEXT: Any = Field(
    description="Give it as `cursor` (with the same filters) for the next page; null on the last."
)


class Error(Answer):
    """Every refusal: ``error`` is a code (``malformed``, ``not_authenticated``,
    ``login_failed``, ``otp_required``, ``otp_invalid``, ``forbidden``, ``not_found``,
    ``conflict``, ``invalid``, ``rate_limited``, ...), ``message`` says it in English and
    ``field`` names the field at fault, when one is."""

    error: str
    message: str
    field: str | None = None
    # ``schedule_passed`` (approving a post whose time has passed) adds the time and what
    # the reviewer may send instead: ``publish_now: true`` or a new ``scheduled_at``.
    scheduled_at: str | None = None
    choices: list[str] | None = None


# Sessions and tokens


class Session(Answer):
    """A new session: send ``Authorization: Bearer <token>`` with every other request."""

    token: str
    expires_at: Time


class Token(Answer):
    """A session (``kind: session``, from a login) or a named API token (``kind: api``)."""

    id: int
    kind: str
    name: str
    created_at: Time
    expires_at: Time
    last_used_at: Time | None
    source: str


class ListedToken(Token):
    current: bool = Field(description="Whether this request came with it.")


class TokenList(Answer):
    tokens: list[ListedToken]


class NewToken(Token):
    token: str = Field(description="The token itself, shown this once.")


# Users and their second factor


class User(Answer):
    """What the API shows of a user: never a hash or a secret."""

    username: str
    roles: list[Role]  # type: ignore[valid-type]
    disabled: bool
    totp_enrolled: bool
    otp_locked_until: Time | None
    approve_after: Time | None = Field(
        default=None,
        description="Made reviewer (or reset) by a lone admin: approves nothing before this.",
    )
    created_at: Time


class Me(User):
    recovery_codes_left: int
    timezone: str | None = None  # chosen by the person (``PUT /me/timezone``), if they did
    shown_in: str = "UTC"  # the zone the web app shows their times in


class UserList(Answer):
    users: list[User]
    next: str | None = NEXT


class EnrolmentLink(Answer):
    """A link to hand over, shown this once: through it the person chooses their own
    password and enrols their own authenticator (``GET``/``POST /enrol/{token}``, or the web
    page at ``url``). It works once, until ``expires_at``."""

    username: str
    purpose: EnrolmentPurpose  # type: ignore[valid-type]
    url: str
    token: str
    expires_at: Time


class PendingChange(Answer):
    """A change of someone's access waiting for a second admin's confirmation: granting
    roles (``roles``: all they would hold) or resetting a ``password`` or ``totp``."""

    id: int
    kind: ChangeKind  # type: ignore[valid-type]
    username: str
    roles: list[Role] | None  # type: ignore[valid-type]
    requested_by: str
    requested_at: Time
    expires_at: Time | None = Field(
        description="When it lapses unanswered (`[security] pending_change_days`); null: never."
    )
    outcome: str = Field(description="pending, confirmed, cancelled, or expired (unanswered)")
    decided_by: str | None


class AccountChange(Answer):
    """A change of an account's posting windows, blackout dates, time zone or approvals that
    loosens them: it waits for a second person (another admin or the security lead) to
    approve it with 2FA. ``windows``, ``blackout_dates``, ``timezone`` and
    ``approvals_required`` are what was asked for (null: unchanged); ``widens`` says how it
    loosens."""

    id: int
    account: str
    windows: list[str] | None
    blackout_dates: list[str] | None
    timezone: str | None = None
    approvals_required: int | None = None
    widens: list[str]
    widens_text: list[str] = Field(
        description="The reasons of widens in the caller's language (Accept-Language)."
    )
    requested_by: str
    requested_at: Time
    expires_at: Time | None = Field(
        description="When it lapses unanswered (`[security] pending_change_days`); null: never."
    )
    outcome: str = Field(description="pending, approved, denied, or expired (unanswered)")
    decided_by: str | None


class AccountChanges(Answer):
    changes: list[AccountChange]


class PendingChanges(Answer):
    changes: list[PendingChange]


class ConfirmedChange(Answer):
    """A change a second admin confirmed: applied, with the enrolment link of a reset."""

    change: PendingChange
    user: User
    enrolment: EnrolmentLink | None = None


class NewUser(User):
    """A user just made: no password nor authenticator until they use their link. Roles
    that give power (reviewer, security, admin) are ``pending`` when a second admin must
    confirm them."""

    enrolment: EnrolmentLink
    pending: PendingChange | None = None


class EnrolmentState(Answer):
    """What an enrolment link is for; ``chosen`` once its first step is done."""

    username: str
    purpose: EnrolmentPurpose  # type: ignore[valid-type]
    expires_at: Time
    chosen: bool


class EnrolmentChoice(Answer):
    """The first step done. For ``new`` and ``totp``: the new secret to scan, then confirm
    with a code from it; for ``password``: confirm with a code from the authenticator the
    person already holds."""

    username: str
    purpose: EnrolmentPurpose  # type: ignore[valid-type]
    totp_secret: str | None = None
    otpauth_uri: str | None = None
    qr_svg: str | None = None


class EnrolmentDone(Answer):
    """The link used up: the password and authenticator are the person's own now."""

    username: str
    purpose: EnrolmentPurpose  # type: ignore[valid-type]
    totp_enrolled: bool
    recovery_codes: list[str] = Field(description="Shown this once (empty for `password`).")


class Enrolment(Answer):
    """A pending TOTP secret: it replaces the current one once a code from it is confirmed."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class Enrolled(Answer):
    totp_enrolled: bool
    recovery_codes: list[str] = Field(description="Shown this once.")


class RecoveryCodes(Answer):
    recovery_codes: list[str] = Field(description="Shown this once; the old ones stop working.")


class Revocation(Answer):
    """A user revoked: disabled, every session and token ended, approvals voided."""

    username: str
    disabled: bool
    tokens_ended: int
    approvals_voided: int


class PasswordChanged(Answer):
    """A password changed by its owner."""

    username: str
    sessions_ended: int = Field(description="Other sessions and API tokens ended.")


# Posts


class Finding(Answer):
    """What a rule found: ``message`` is English, ``template.format(**params)`` the same text
    for clients that translate (``template`` is null on findings stored before templates)."""

    rule: str
    severity: one_of(("block", "flag"))  # type: ignore[valid-type]
    message: str
    span: list[int] | None = Field(description="[start, end) in the text, when it has one.")
    template: str | None
    params: dict[str, str | int] | None
    image: int | None = Field(
        default=None, description="Which image (from 1) the finding is about, when one is."
    )
    image_text: str | None = Field(
        default=None, description="The text read in that image; `span` is then within it."
    )


class Approval(Answer):
    reviewer: str
    at: Time


class PostImage(Answer):
    """One image of a post, in order: the upload, the SHA-256 of its bytes (which the content
    hash covers) and its alt text."""

    id: int
    sha256: str
    alt: str


class Media(Answer):
    """An uploaded image, metadata removed: ``sha256`` names the bytes kept. ``ocr_status``:
    ``pending`` while the text in it is being read, then ``done`` (``ocr_text``) or
    ``failed``."""

    id: int
    sha256: str
    mime: one_of(("image/jpeg", "image/png", "image/webp", "image/gif"))  # type: ignore[valid-type]
    width: int
    height: int
    size: int
    description: str
    ocr_status: one_of(("pending", "done", "failed"))  # type: ignore[valid-type]
    ocr_text: str


class RejectionInfo(Answer):
    """Who rejected the post, when, and the reason they gave."""

    reviewer: str
    reason: str
    at: Time


class Post(Answer):
    """A post, with the findings of its rules and the approvals that still count."""

    id: int
    account: str
    author: str
    text: str
    status: PostStatus  # type: ignore[valid-type]
    status_reason: str
    scheduled_at: Time | None
    content_hash: str
    revision: int
    rules_version: str
    findings: list[Finding]
    approvals: list[Approval]
    media: list[PostImage]
    approvals_required: int
    crisis_statement: bool
    rejection: RejectionInfo | None = Field(
        description="For a `rejected` post: who rejected it, when and why; else null."
    )
    remote_id: str | None
    remote_url: str | None
    published_at: Time | None
    created_at: Time
    updated_at: Time


class PostWarning(Answer):
    """A warning about a post just stored, which is stored all the same: `account_state`, its
    account cannot publish until an administrator acts (`disconnected`, `compromised`), so
    the post will wait at publish time; `quota`, the platform's posting quota would be
    exceeded around its time (the registry entry's `post_quota`)."""

    rule: one_of(("account_state", "quota"))  # type: ignore[valid-type]
    message: str
    template: str
    params: dict[str, Any]


class Submitted(Post):
    """A post just submitted, with what happened to it in words: sent for review, or blocked
    and why (its blocking findings), in the caller's language; and ``warnings``: its account
    cannot publish yet, or a posting quota the account would exceed."""

    message: str
    warnings: list[PostWarning]


class PostShown(Post):
    """One post, with its ``warnings`` while it is still ahead of publishing (a reviewer
    about to approve it should know that its account cannot publish yet, or that it would
    exceed a posting quota); none once it is out, cancelled or taken down."""

    warnings: list[PostWarning]


class PostList(Answer):
    posts: list[Post]
    next: str | None = NEXT


class BulkRejectResult(Answer):
    """One post of a bulk reject: ``ok`` with the ``post`` as it is now, or refused with
    the same ``error``, ``message``, ``field`` and HTTP ``status`` its single reject would
    have answered."""

    id: int
    ok: bool
    post: Post | None = None
    status: int | None = None
    error: str | None = None
    message: str | None = None
    field: str | None = None


class BulkRejected(Answer):
    rejected: int
    refused: int
    results: list[BulkRejectResult]


class StatementTemplate(Answer):
    name: str
    text: str


class StatementTemplates(Answer):
    templates: list[StatementTemplate]


# Accounts and freezes


class Account(Answer):
    """A connected account: never its credentials."""

    name: str
    platform: str
    handle: str
    status: one_of(ACCOUNT_STATUSES)  # type: ignore[valid-type]
    frozen: bool = Field(
        description="A freeze holds the account now (its own or a global one): nothing but "
        "a crisis statement publishes on it until the freeze is lifted."
    )
    timezone: str
    windows: list[str]
    blackout_dates: list[str]
    approvals_required: int
    has_credentials: bool


class AccountList(Answer):
    accounts: list[Account]


class Freeze(Answer):
    id: int
    scope: one_of(("global", "account"))  # type: ignore[valid-type]
    account: str | None
    reason: str
    created_by: str | None
    created_at: Time | None
    lifted_at: Time | None
    lifted_by: str | None


class InFlight(Answer):
    """A post whose platform call had started when the freeze came (it reached the platform
    before the answer), or whose outcome is still unknown from an earlier call: check it."""

    id: int
    account: str
    status: PostStatus  # type: ignore[valid-type]


class FreezeSet(Freeze):
    already_in_force: bool
    in_flight: list[InFlight]


class FreezeLift(Answer):
    lifted: list[Freeze]
    back_to_review: list[int] = Field(
        description="Posts the freeze had blocked, now clean and back in `pending_review`."
    )
    still_in_force: list[Freeze]


class FreezeList(Answer):
    freezes: list[Freeze]


# Takedowns


Outcome = one_of(OUTCOMES)


class TakedownItem(Answer):
    """One post a takedown found; ``evidence`` is the platform's record of it, kept before
    anything was changed."""

    id: int
    account: str
    remote_id: str
    post_id: int | None
    origin: one_of(tuple(ItemOrigin))  # type: ignore[valid-type]
    outcome: Outcome  # type: ignore[valid-type]
    reason: str
    attempts: int
    evidence: dict[str, Any] | None
    updated_at: Time | None


class Counts(Answer):
    total: int
    pending: int
    neutralised: int
    deleted: int
    not_found: int
    failed: int
    still_live: int
    unverified: int


class AccountProgress(Counts):
    deleted_by: Time | None = Field(
        description="When the posts still waiting should all be deleted, at the deletion "
        "limit the platform showed (refused deletes), else the one it documents; null when "
        "none wait or it has none."
    )


class Progress(Counts):
    accounts: dict[str, AccountProgress]


class TakedownAccount(Answer):
    """One account of a takedown: whether its credential was verified revoked, and if not,
    why and what to do by hand (empty while its part has not reached the revocation);
    ``gaps``: what the check after the deletions found it could not verify."""

    name: str
    credentials_revoked: bool
    reason: str
    gaps: str


class TakedownSummary(Answer):
    """A takedown; ``since`` is the earliest start asked for, ``windows`` each account's."""

    id: int
    status: str = Field(description="running, done or done_with_gaps")
    phase: str
    accounts: list[TakedownAccount]
    since: Time
    windows: dict[str, Time]
    created_by: str | None
    created_at: Time
    finished_at: Time | None
    progress: Progress
    include_postgate: str | list[str] = Field(
        description='which of Postgate\'s posts go: "none", "all" or usernames; a joining'
        " request only ever widens it"
    )


class Takedown(TakedownSummary):
    items: list[TakedownItem]


class PreviewItem(Answer):
    """A post a takedown would find: ``action`` ``delete`` or ``keep``, and ``why``."""

    account: str
    remote_id: str
    origin: one_of(("postgate", "unauthorized"))  # type: ignore[valid-type]
    author: str | None
    approvers: list[str]
    text: str
    approved_text: str | None
    created_at: Time | None
    edited_at: Time | None
    visibility: str | None
    url: str | None
    action: one_of(("delete", "keep"))  # type: ignore[valid-type]
    why: str
    by_hand: bool  # to delete, but the platform's API cannot: the lead deletes it at ``url``


class PreviewListing(Answer):
    """One account as the preview listed it, and what Postgate can do on its platform."""

    name: str
    listed: int
    reason: str
    platform: str
    deletes: bool
    lists_non_public: bool
    revokes: bool


class TakedownPreview(Answer):
    items: list[PreviewItem]
    accounts: list[PreviewListing]


class TakedownList(Answer):
    takedowns: list[TakedownSummary]
    next: str | None = NEXT


class TakedownStarted(Takedown):
    """The takedown to follow: one created, or the first running one joined."""

    created: bool
    joined: list[int]
    sessions_ended: int
    widened: list[str]
    widened_after_revocation: list[str]


class TimelineEvent(Answer):
    at: Time
    event: str
    actor: str
    target: str
    result: str | None = None
    summary: str
    # ``template.format(**params)`` is ``summary``, for clients that translate it (absent on
    # the line of the first unauthorized post of reports made before templates).
    template: str | None = None
    params: dict[str, Any] | None = None
    seq: int | None


class ReportSummary(Answer):
    outcomes: Counts
    first_unauthorized_post_at: Time | None
    first_alert_at: Time | None = Field(
        description="When the watch first raised an alert on the takedown's accounts (the "
        "timeline's `watch.alert` lines), from a day before the takedown."
    )
    takedown_started_at: Time | None
    frozen_at: Time | None
    first_deletion_at: Time | None
    last_deletion_at: Time | None
    accounts_compromised: list[str]
    statements_published: list[str]
    finished_at: Time | None


class ReportItem(TakedownItem):
    link: str | None = Field(
        description="The post's URL when it is safe to follow (https, or http to loopback)."
    )


class IncidentReport(Answer):
    """A takedown's story for the post-mortem, drawn from the hash-chained audit log."""

    takedown: TakedownSummary
    summary: ReportSummary
    timeline: list[TimelineEvent]
    items: list[ReportItem]
    generated_at: Time


# The audit log


class AuditEntry(Answer):
    """One entry of the hash-chained log: ``hash`` covers every other field as sent."""

    seq: int
    at: Time
    actor: str
    action: str
    target: str
    details: dict[str, Any] | None
    source: str
    result: str
    prev_hash: str
    hash: str


class AuditPage(Answer):
    entries: list[AuditEntry]
    next_after: int = Field(description="Give it as `after` for the next page (oldest first).")
    next: str | None = NEXT


class Checkpoint(Answer):
    """The latest signed checkpoint written outside the store."""

    seq: int
    at: Time


class Verification(Answer):
    """The chain, its signed head and the latest checkpoint, as `postgate audit verify`
    checks them; `bad_seq` and `problem` say what is wrong."""

    ok: bool
    entries: int
    bad_seq: int | None
    problem: str | None
    checkpoint: Checkpoint | None
