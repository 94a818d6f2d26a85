"""The audit log: append-only, hash-chained, written in the action's own transaction.

Each entry's hash is ``HMAC-SHA256(audit key, canonical JSON of the entry + previous hash)``.
The key lives outside the database, so whoever can write to the database alone cannot forge
a consistent chain. An entry is linked as its action commits (:mod:`postgate.audit_commit`):
the linker updates the single ``audit_head`` row first, which takes a row lock (PostgreSQL)
or holds the write lock (SQLite), so two processes never link to the same tip.

A chain alone cannot show that its newest entries were cut off: what is left still links.
So the head is signed too (``sig`` = HMAC of its sequence number and hash, in a domain of
its own), which stops a rewind by someone who can write only to the database; and signed
checkpoints kept outside the store (:mod:`postgate.audit_checkpoint`) catch a rewind to an
older signed head.
"""

from __future__ import annotations

import enum
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from postgate.errors import SettingsError
from postgate.settings import Settings
from postgate.store.models import AuditEntry, AuditHead
from postgate.store.types import utcnow
from postgate.vault import write_private

GENESIS = "0" * 64
AUDIT_KEY_FILE = "audit.key"
HEAD_DOMAIN = b"postgate-audit-head"


class Event(enum.StrEnum):
    """Every auditable action, as ``subject:action``."""

    SESSION_LOGIN = "session:login"
    SESSION_LOGIN_FAILURE = "session:login-failure"
    SESSION_OTP_FAILURE = "session:otp-failure"
    SESSION_OTP_LOCKED = "session:otp-locked"
    SESSION_STEP_UP = "session:step-up"
    SESSION_LOGOUT = "session:logout"
    TOKEN_CREATE = "token:create"
    TOKEN_REVOKE = "token:revoke"
    USER_CREATE = "user:create"
    USER_ROLES = "user:roles"
    USER_REVOKE = "user:revoke"
    USER_ENABLE = "user:enable"
    USER_ENROLL = "user:totp-enroll"
    USER_RESET_TOTP = "user:totp-reset"
    USER_RECOVERY_USED = "user:recovery-code-used"
    USER_PASSWORD = "user:password"
    USER_RESET_PASSWORD = "user:password-reset"
    USER_ENROLMENT_LINK = "user:enrolment-link"
    USER_ENROLLED = "user:enrolled"
    USER_CHANGE_REQUESTED = "user:change-requested"
    USER_CHANGE_CONFIRMED = "user:change-confirmed"
    USER_CHANGE_CANCELLED = "user:change-cancelled"
    USER_COOLING_OFF = "user:cooling-off"
    USER_TIMEZONE = "user:timezone"
    ACCOUNT_ADD = "account:add"
    ACCOUNT_UPDATE = "account:update"
    ACCOUNT_CHANGE_REQUESTED = "account:change-requested"  # a loosening waits (issue 17)
    ACCOUNT_CHANGE_APPROVED = "account:change-approved"
    ACCOUNT_CHANGE_DENIED = "account:change-denied"
    ACCOUNT_CREDENTIALS = "account:credentials"
    ACCOUNT_COMPROMISED = "account:compromised"
    ACCOUNT_TAKEDOWN = "account:takedown"
    ACCOUNT_CONNECT = "account:connect"  # OAuth: consent asked, then the account connected
    ACCOUNT_CONNECT_REFUSED = "account:connect-refused"  # a callback refused (state, denial)
    ACCOUNT_TOKEN_REFRESH = "account:token-refresh"
    ACCOUNT_DISCONNECTED = "account:disconnected"  # its token refused or ended: posts wait
    POST_SUBMIT = "post:submit"
    POST_DRAFT = "post:draft"  # saved as a draft, not submitted
    POST_COMMENT = "post:comment"
    POST_EDIT = "post:edit"
    POST_APPROVE = "post:approve"
    POST_REJECT = "post:reject"
    POST_CANCEL = "post:cancel"
    POST_CRISIS = "post:crisis-statement"
    POST_RESCHEDULE = "post:reschedule"  # a reviewer's new time, given with the approval
    POST_SCHEDULE = "post:schedule"
    POST_PUBLISH = "post:publish"
    POST_BLOCK = "post:block"
    POST_FAIL = "post:fail"
    POST_SETTLE = "post:settle"
    POST_RETRY = "post:retry"
    POST_DELETE = "post:delete"
    POST_UNFREEZE = "post:unfreeze"
    POST_UNRESOLVED = "post:unresolved"  # outcome unknown, the account cannot be read back
    MEDIA_UPLOAD = "media:upload"
    FREEZE_SET = "freeze:set"
    FREEZE_LIFT = "freeze:lift"
    TAKEDOWN_START = "takedown:start"
    TAKEDOWN_ITEM = "takedown:item"
    TAKEDOWN_DONE = "takedown:done"
    CONFIG_RULES = "config:rules"
    CONFIG_RULES_CHANGE = "config:rules-change"
    KEYS_ROTATE = "keys:rotate"
    ACCESS_FORBIDDEN = "access:forbidden"
    ACCESS_RATE_LIMITED = "access:rate-limited"
    NOTIFY_SENT = "notify:sent"
    NOTIFY_RETRY = "notify:retry"
    NOTIFY_FAILED = "notify:failed"
    NOTIFY_CHANNEL = "notify:channel"
    NOTIFY_PREFERENCES = "notify:preferences"
    # The watch (invariant 13). Every ``watch.*`` action is routed to the security lead at
    # once by the notifications; acknowledging an alert and the account's automatic-freeze
    # setting are not alerts, so they use ``subject:action`` names of their own.
    WATCH_ALERT = "watch.alert"
    WATCH_ACKNOWLEDGE = "alert:acknowledge"
    ACCOUNT_WATCH = "account:watch-settings"


# After these commit, a checkpoint is written at once rather than at the next minute.
CHECKPOINT_EVENTS = frozenset(
    {Event.FREEZE_SET, Event.FREEZE_LIFT, Event.TAKEDOWN_START, Event.TAKEDOWN_DONE}
)


def load_audit_key(settings: Settings) -> bytes:
    """The chain's HMAC key, from ``POSTGATE_AUDIT_KEY`` or ``<instance>/keys/audit.key``."""
    if settings.audit_key:
        return settings.audit_key.encode()
    path = settings.keys_path / AUDIT_KEY_FILE
    if not path.exists():
        raise SettingsError("POSTGATE_AUDIT_KEY: no audit key; run `postgate init`")
    return path.read_text().strip().encode()


def ensure_audit_key(settings: Settings) -> bool:
    path = settings.keys_path / AUDIT_KEY_FILE
    if settings.audit_key or path.exists():
        return False
    write_private(path, secrets.token_hex(32) + "\n")
    return True


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    """Everything the entry's hash covers (all but the hash itself)."""
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
        "source": entry.source,
        "result": entry.result,
        "prev_hash": entry.prev_hash,
    }


def _canonical(entry: AuditEntry) -> bytes:
    body = _hashed_fields(entry)
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_hash(key: bytes, entry: AuditEntry) -> str:
    return hmac.new(key, _canonical(entry), sha256).hexdigest()


def head_signature(key: bytes, seq: int, hash_: str) -> str:
    """The head's seal: only the audit key's holder can make one for a (seq, hash) pair."""
    message = HEAD_DOMAIN + b"\n" + str(seq).encode() + b"\n" + hash_.encode()
    return hmac.new(key, message, sha256).hexdigest()


def head_is_signed(key: bytes, head: AuditHead) -> bool:
    expected = head_signature(key, head.seq, head.hash)
    return head.sig is not None and hmac.compare_digest(expected, head.sig)


def ensure_head(session: Session, key: bytes) -> None:
    """Create the chain's tip row, signed, when the store is new."""
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, hash=GENESIS, sig=head_signature(key, 0, GENESIS)))
        session.flush()


_HEAD = cast(Table, AuditHead.__table__)
_ENTRIES = cast(Table, AuditEntry.__table__)
_ENTRY_COLUMNS = tuple(column.name for column in _ENTRIES.columns)
# Core statements, compiled once and cached: no identity map, no unit of work for the rows
# every audited action writes. Taking the tip locks its row (PostgreSQL; SQLite's writers
# hold the write lock from BEGIN) until the action commits; it is taken as the action
# commits, after the action's own writes (:mod:`postgate.audit_commit`).
_TAKE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + bindparam("count"))
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(hash=bindparam("head_hash"), sig=bindparam("head_sig"))
)
# Parameters named apart from every column: an execution parameter named like a column of
# either table would be taken as a value for that column in both statements.
INSERT_ENTRY = insert(_ENTRIES).values(
    {name: bindparam(f"entry_{name}") for name in _ENTRY_COLUMNS}
)
# PostgreSQL runs a data-modifying ``WITH`` once, whether or not the statement reads it: an
# entry and the head's new tip in one statement.
INSERT_ENTRY_MOVING_HEAD = INSERT_ENTRY.add_cte(MOVE_HEAD.returning(_HEAD.c.id).cte("head"))


def new_entry(
    action: Event | str,
    *,
    actor: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    source: str = "",
    result: str = "ok",
    at: datetime | None = None,
) -> AuditEntry:
    """An entry not yet in the chain (no ``seq``, no hashes): :func:`link` places it.

    It is not in any session (it is written by Core statements): read its fields, do not
    change them."""
    return AuditEntry(
        at=at or utcnow(),
        actor=(actor or "-")[:64],
        action=str(action),
        target=target[:255],
        details=json.loads(json.dumps(details or {}, default=str)),
        source=(source or "")[:64],
        result=result,
    )


@dataclass(frozen=True)
class Links:
    """What :func:`link` made: the entries' rows, as :data:`INSERT_ENTRY`'s parameters, and
    the head's new tip and signature, as :data:`MOVE_HEAD`'s."""

    rows: list[dict[str, Any]]
    head: dict[str, str]


def link(session: Session, key: bytes, entries: list[AuditEntry]) -> Links:
    """Take the chain's tip for ``entries`` (one statement, whatever their number) and link
    them after it, in order: each gets its ``seq``, ``prev_hash`` and ``hash``.

    The tip stays locked until the transaction ends: the caller writes the rows and the head
    in the same transaction, at once (:mod:`postgate.audit_commit` sends them with the
    COMMIT)."""
    last_seq, prev_hash = session.execute(_TAKE_HEAD, {"count": len(entries)}).one()
    rows = []
    for seq, entry in enumerate(entries, start=last_seq - len(entries) + 1):
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.hash = prev_hash = entry_hash(key, entry)
        rows.append({f"entry_{name}": getattr(entry, name) for name in _ENTRY_COLUMNS})
    head = {"head_hash": prev_hash, "head_sig": head_signature(key, last_seq, prev_hash)}
    return Links(rows, head)


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    bad_seq: int | None = None
    problem: str = ""
    checkpoint_seq: int | None = None  # the latest checkpoint the chain was held against
    checkpoint_at: str | None = None


def verify_chain(
    session: Session, key: bytes, *, batch: int = 1000, check_head_signature: bool = True
) -> Verification:
    """Walk the chain in order; report the first entry edited, removed, inserted or moved,
    and a head that does not match the chain's end or lacks a valid signature."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(
                    False,
                    count,
                    entry.seq,
                    f"expected entry {expected_seq}, found {entry.seq} (entry removed or inserted)",
                )
            if entry.prev_hash != prev_hash:
                return Verification(
                    False,
                    count,
                    entry.seq,
                    "does not link to the entry before it (entry removed, inserted or reordered)",
                )
            if not hmac.compare_digest(entry_hash(key, entry), entry.hash):
                return Verification(
                    False, count, entry.seq, "content does not match its hash (entry edited)"
                )
            prev_hash, expected_seq, count, last = (
                entry.hash,
                expected_seq + 1,
                count + 1,
                entry.seq,
            )
    return _check_head(session, key, count, prev_hash, check_head_signature)


def _check_head(
    session: Session, key: bytes, count: int, last_hash: str, check_signature: bool
) -> Verification:
    # Column by column: a store restored from before heads were signed has no ``sig`` yet.
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    if head is None:
        return Verification(False, count, count + 1, "the chain's head row is missing")
    if head.seq != count or head.hash != last_hash:
        return Verification(
            False,
            count,
            count + 1,
            f"chain ends at entry {count} but its head says {head.seq} (entries removed)",
        )
    sig = session.scalar(select(AuditHead.sig).where(AuditHead.id == 1)) if check_signature else ""
    if check_signature and not (
        sig and hmac.compare_digest(head_signature(key, head.seq, head.hash), sig)
    ):
        return Verification(
            False,
            count,
            count + 1,
            f"the head (entry {head.seq}) is not signed with the audit key "
            "(head rewound or forged, entries removed from the end)",
        )
    return Verification(True, count)


def entry_to_dict(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API shows it: the hashed fields, then the hash."""
    return {**_hashed_fields(entry), "hash": entry.hash}


def list_entries(
    session: Session,
    *,
    after: int = 0,
    limit: int = 200,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
) -> list[AuditEntry]:
    """Entries after sequence number ``after``, oldest first, optionally filtered."""
    query = select(AuditEntry).where(AuditEntry.seq > after)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if target:
        query = query.where(AuditEntry.target == target)
    return list(session.scalars(query.order_by(AuditEntry.seq).limit(limit)))
