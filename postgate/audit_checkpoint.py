"""Signed checkpoints of the audit chain, kept outside the store.

What is left of a chain whose newest entries were cut off still links, and someone who can
write to the database could also put back a head they saw earlier, signature included. A
checkpoint is a note of the head (sequence number, hash, time) signed with the audit key and
written where the database's writer cannot reach it: a file in a folder of its own (one JSON
line per checkpoint, appended, never rewritten), syslog, and any configured webhook.
``postgate audit verify`` then requires the chain to reach the latest checkpoint with the
same hash there: a truncation, a rewind or a rewrite since then is named.

Checkpoints are written by ``postgate init``, at once after a freeze, a lift or a takedown
commits, and every ``checkpoint_seconds`` by the workers' periodic loop (one writer per
period across all workers; see ``workers/runner.py``). A checkpoint is written only when the
head moved since the latest one, and never when the chain does not reach it: then an alert
goes to syslog and the webhooks instead, so a cut chain is never laundered into a new
checkpoint.
"""

from __future__ import annotations

import enum
import fcntl
import hmac
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate import audit, audit_outlets
from postgate.settings import Settings
from postgate.store.db import Store
from postgate.store.models import AuditEntry, AuditHead
from postgate.store.types import utcnow

log = logging.getLogger("postgate.audit")

CHECKPOINT_FILE = "audit-checkpoints.jsonl"
LOCK_FILE = ".lock"
DOMAIN = b"postgate-audit-checkpoint"
TAIL_BYTES = 8192  # the latest line is at the end; a line is about 250 bytes


class Runtime(Protocol):
    """What a checkpoint needs of the process's :class:`postgate.runtime.Runtime`, which
    itself checkpoints after a freeze or takedown commits (so this module cannot import it)."""

    settings: Settings

    @property
    def audit_key(self) -> bytes: ...

    @property
    def store(self) -> Store: ...


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, signed with the audit key."""

    seq: int
    hash: str
    at: str  # ISO 8601, UTC, microseconds: signed as written
    reason: str
    sig: str = ""

    def message(self) -> bytes:
        parts = (DOMAIN, str(self.seq), self.hash, self.at, self.reason)
        return b"\n".join(p if isinstance(p, bytes) else p.encode() for p in parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_line(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def written_at(self) -> datetime:
        return datetime.fromisoformat(self.at)


def sign(key: bytes, seq: int, hash_: str, reason: str, at: datetime | None = None) -> Checkpoint:
    when = (at or utcnow()).isoformat(timespec="microseconds")
    unsigned = Checkpoint(seq, hash_, when, reason[:64])
    return Checkpoint(**{**unsigned.to_dict(), "sig": _mac(key, unsigned)})


def _mac(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, checkpoint.message(), sha256).hexdigest()


def is_authentic(key: bytes, checkpoint: Checkpoint) -> bool:
    return hmac.compare_digest(_mac(key, checkpoint), checkpoint.sig)


class CheckpointUnreadable(Exception):
    """The checkpoint file's last line is not a checkpoint signed with the audit key."""


def parse_line(line: str) -> Checkpoint:
    try:
        data = json.loads(line)
        fields = {name: str(data[name]) for name in ("hash", "at", "reason", "sig")}
        checkpoint = Checkpoint(seq=int(data["seq"]), **fields)
    except (ValueError, KeyError, TypeError):
        raise CheckpointUnreadable("its last line is not a checkpoint") from None
    return checkpoint


def checkpoint_file(folder: Path) -> Path:
    return folder / CHECKPOINT_FILE


def latest_checkpoint(folder: Path, key: bytes) -> Checkpoint | None:
    """The last checkpoint in ``folder``; raises CheckpointUnreadable when it is not authentic.

    Checkpoints are appended in order of sequence number (the writer refuses to go back), so
    the last line is the latest; only the file's tail is read.
    """
    path = checkpoint_file(folder)
    if not path.exists():
        return None
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read().decode("utf-8", errors="replace")
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    checkpoint = parse_line(lines[-1])
    if not is_authentic(key, checkpoint):
        raise CheckpointUnreadable("its last line is not signed with the audit key (edited)")
    return checkpoint


def ensure_folder(folder: Path) -> None:
    """The checkpoint folder, readable by its owner only (0700)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time on this machine (several workers, the web app, the CLI)."""
    ensure_folder(folder)
    fd = os.open(folder / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _append(folder: Path, checkpoint: Checkpoint) -> None:
    fd = os.open(checkpoint_file(folder), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (checkpoint.to_line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def reaches(db: Session, key: bytes, checkpoint: Checkpoint | None) -> str:
    """Why the store's chain does not reach ``checkpoint`` with the same hash ("" if it does).

    Checks the head (present, signed) and the one entry the checkpoint names, so it is cheap
    enough to run before every checkpoint.
    """
    head = db.get(AuditHead, 1)
    if head is None:
        return "the chain's head row is missing"
    if not audit.head_is_signed(key, head):
        return (
            f"the head (entry {head.seq}) is not signed with the audit key (head rewound or forged)"
        )
    return _reaches(db, head, checkpoint)


def _reaches(db: Session, head: AuditHead, checkpoint: Checkpoint | None) -> str:
    if checkpoint is None:
        return ""
    if head.seq < checkpoint.seq:
        return (
            f"the chain ends at entry {head.seq} but the checkpoint of {checkpoint.at} "
            f"reached entry {checkpoint.seq} (entries removed from the end)"
        )
    found = (
        audit.GENESIS
        if checkpoint.seq == 0
        else db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == checkpoint.seq))
    )
    if found is None or not hmac.compare_digest(found, checkpoint.hash):
        return (
            f"entry {checkpoint.seq} is not the one the checkpoint of {checkpoint.at} "
            "recorded (entries removed and the chain written again)"
        )
    return ""


class Outcome(enum.StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class WriteResult:
    outcome: Outcome
    checkpoint: Checkpoint | None = None
    problem: str = ""


def write_checkpoint(rt: Runtime, reason: str, *, background: bool = False) -> WriteResult:
    """Checkpoint the current head to the folder, syslog and webhooks; see the module doc.

    ``background`` sends to the webhooks from a thread, for callers answering a person.
    """
    folder, key = rt.settings.checkpoints_path, rt.audit_key
    with _locked(folder):
        try:
            latest = latest_checkpoint(folder, key)
        except CheckpointUnreadable as exc:
            return _refuse(rt, f"the checkpoint file in {folder}: {exc}", background)
        with rt.store.session() as db:
            problem = reaches(db, key, latest)
            head = db.get(AuditHead, 1)
        if problem or head is None:
            return _refuse(rt, problem, background)
        if latest is not None and (latest.seq, latest.hash) == (head.seq, head.hash):
            return WriteResult(Outcome.UNCHANGED, latest)
        checkpoint = sign(key, head.seq, head.hash, reason)
        _append(folder, checkpoint)
    audit_outlets.publish(rt.settings, checkpoint.to_dict(), background=background)
    return WriteResult(Outcome.WRITTEN, checkpoint)


def _refuse(rt: Runtime, problem: str, background: bool) -> WriteResult:
    log.error("audit chain: no checkpoint written: %s; run `postgate audit verify`", problem)
    audit_outlets.alert(rt.settings, problem, background=background)
    return WriteResult(Outcome.REFUSED, problem=problem)


def adopt_unsigned_head(rt: Runtime) -> bool:
    """Sign a head left unsigned by a version before heads were signed (``postgate init``
    after an upgrade), only when the whole chain leads to it and reaches the latest
    checkpoint: a head unsigned by tampering stays unsigned, and verify keeps failing."""
    folder, key = rt.settings.checkpoints_path, rt.audit_key
    with rt.store.transaction() as db:
        head = db.get(AuditHead, 1)
        if head is None or head.sig is not None:
            return False
        try:
            latest = latest_checkpoint(folder, key)
        except CheckpointUnreadable:
            return False
        if (
            _reaches(db, head, latest)
            or not audit.verify_chain(db, key, check_head_signature=False).ok
        ):
            return False
        head.sig = audit.head_signature(key, head.seq, head.hash)
    return True


def checkpoint_quietly(rt: Runtime, reason: str, *, background: bool = False) -> None:
    """For callers that must not fail because a checkpoint could not be written."""
    try:
        write_checkpoint(rt, reason, background=background)
    except Exception:
        log.exception("audit chain: writing a checkpoint failed")


def verify_trail(rt: Runtime) -> audit.Verification:
    """The whole check of ``postgate audit verify``: every entry, the signed head, and that
    the chain reaches the latest checkpoint with the same hash."""
    folder, key = rt.settings.checkpoints_path, rt.audit_key
    with rt.store.session() as db:
        result = audit.verify_chain(db, key)
        if not result.ok:
            return result
        try:
            latest = latest_checkpoint(folder, key)
        except CheckpointUnreadable as exc:
            return audit.Verification(
                False, result.count, result.count + 1, f"checkpoint file in {folder}: {exc}"
            )
        if latest is None:
            return audit.Verification(
                False,
                result.count,
                result.count + 1,
                f"no checkpoint in {folder}, so removed entries at the end could not be "
                "seen (run `postgate audit checkpoint`, or set checkpoint_dir to their folder)",
            )
        problem = reaches(db, key, latest)
    if problem:
        first_bad = min(result.count + 1, latest.seq)
        return audit.Verification(False, result.count, first_bad, problem)
    return audit.Verification(
        True, result.count, checkpoint_seq=latest.seq, checkpoint_at=latest.at
    )
