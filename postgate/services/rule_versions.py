"""The rules and the catalogue kept in the store, each change a new version.

The files named in ``[rules]`` are the first version: they are imported the first time a
change is made (``postgate rules import``, the API or the web app), and read as before until
then. Every change is validated whole (an error names the line and the key or column), kept
whole (who, when, what it was based on) and audited (``config:rules-change``). A change that
tightens takes effect at once; one that loosens (:mod:`postgate.services.rule_changes`)
waits as ``pending`` for a second person, an admin or the security lead other than its
author, who approves it with 2FA. Rolling back is a new version with an old one's content,
judged the same way. Workers and web processes read the version in force from the store
(:func:`postgate.services.checking.current_ruleset`, cached by version id).
"""

from __future__ import annotations

import difflib
import tomllib
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.errors import Conflict, Forbidden, NotFound, ValidationFailed
from postgate.runtime import Runtime
from postgate.services.rule_changes import loosening
from postgate.services.users import find_user
from postgate.states import Role
from postgate.store.models import RuleVersion
from postgate.store.types import utcnow
from rules import RuleConfigError, RuleSet, parse_ruleset

APPLIED, PENDING, REJECTED = "applied", "pending", "rejected"
APPROVERS = (Role.ADMIN, Role.SECURITY)
FILES_AUTHOR = "config files"
LOCK_KEY = 0x70677275  # the advisory lock of rule changes on PostgreSQL ("pgru")


def in_force(db: Session, *, lock: bool = False) -> RuleVersion | None:
    """The version in force: the latest applied (None while the files are still read).

    With ``lock``, changes of the rules are serialised until the transaction ends, so two
    changes made at once are judged one after the other, each against the other's result:
    SQLite's write transactions already are (``BEGIN IMMEDIATE``); on PostgreSQL a
    transaction-scoped advisory lock does it (locking the latest row would not: a waiter
    would get the row it saw before, not the version committed meanwhile)."""
    if lock and db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    return db.scalar(
        select(RuleVersion)
        .where(RuleVersion.status == APPLIED)
        .order_by(RuleVersion.applied_at.desc(), RuleVersion.id.desc())
        .limit(1)
    )


def in_force_id(db: Session) -> int | None:
    found = in_force_stamp(db)
    return found[0] if found is not None else None


def in_force_stamp(db: Session) -> tuple[int, str] | None:
    """The version in force as (id, when it was applied): together they name its content
    for a cache, even across stores whose ids restart (a restored backup, a test's fresh
    store at the address of the last one's)."""
    row = db.execute(
        select(RuleVersion.id, RuleVersion.applied_at)
        .where(RuleVersion.status == APPLIED)
        .order_by(RuleVersion.applied_at.desc(), RuleVersion.id.desc())
        .limit(1)
    ).first()
    return stamp_of(row.id, row.applied_at) if row is not None else None


def stamp_of(version_id: int, applied_at: datetime | None) -> tuple[int, str]:
    """A version's id and application time, as a cache names its content."""
    return version_id, applied_at.isoformat(timespec="microseconds") if applied_at else ""


def ruleset_of(rt: Runtime, rules: str, catalog: str | None) -> RuleSet:
    """The rule set these texts make; raises RuleConfigError naming the line and key."""
    return parse_ruleset(
        rules.encode("utf-8"),
        catalog.encode("utf-8") if catalog is not None else None,
        base=rt.settings.rules_path.parent,
    )


def validate(rt: Runtime, rules: str, catalog: str | None) -> RuleSet:
    """The rule set these texts make, or ValidationFailed naming the line and key."""
    try:
        return ruleset_of(rt, rules, catalog)
    except RuleConfigError as exc:
        field = "catalog" if str(exc).startswith("catalog.csv") else "rules"
        # from exc: the web layer shows the RuleConfigError in the reader's language
        raise ValidationFailed("not saved: {detail}", field=field, detail=str(exc)) from exc


def files(rt: Runtime) -> tuple[str, str | None]:
    """The rules and catalogue files named in the settings, as text."""
    rules_path = rt.settings.rules_path
    rules = rules_path.read_text(encoding="utf-8")
    catalog_path = rt.settings.catalog_path
    if catalog_path is None:
        name = tomllib.loads(rules).get("catalog")
        catalog_path = rules_path.parent / name if isinstance(name, str) else None
    catalog = catalog_path.read_text(encoding="utf-8-sig") if catalog_path else None
    return rules, catalog


def current(rt: Runtime, db: Session) -> RuleVersion:
    """The version in force (locked), importing the files as the first version if none is
    stored."""
    row = in_force(db, lock=True)
    if row is not None:
        return row
    rules, catalog = files(rt)
    ruleset = validate(rt, rules, catalog)
    row = _add(db, rules, catalog, ruleset, author=FILES_AUTHOR, status=APPLIED, base=None)
    row.note = "imported from the configuration files"
    db.flush()
    _audit(rt, db, row, FILES_AUTHOR, "")
    return row


def propose(
    rt: Runtime,
    db: Session,
    *,
    rules: str | None = None,
    catalog: str | None = None,
    actor: str,
    source: str = "",
    note: str = "",
    rollback_of: int | None = None,
) -> RuleVersion:
    """A new version with ``rules`` and/or ``catalog`` replaced (None keeps the one in force):
    applied at once when it only tightens, else pending for a second person."""
    base = current(rt, db)
    new_rules = base.rules if rules is None else rules
    new_catalog = base.catalog if catalog is None else catalog
    ruleset = validate(rt, new_rules, new_catalog)
    if new_rules == base.rules and new_catalog == base.catalog:
        raise Conflict("nothing changed: this is the version in force", field="rules")
    reasons = loosening(base.rules, new_rules, base.catalog, new_catalog)
    status = PENDING if reasons else APPLIED
    row = _add(db, new_rules, new_catalog, ruleset, author=actor, status=status, base=base)
    row.loosening, row.note, row.rollback_of = reasons, note[:500], rollback_of
    db.flush()
    _audit(rt, db, row, actor, source)
    return row


def find(db: Session, version_id: int) -> RuleVersion:
    row = db.get(RuleVersion, version_id)
    if row is None:
        raise NotFound("no rules version {id}", field="id", id=version_id)
    return row


def approve(
    rt: Runtime, db: Session, version_id: int, *, actor: str, source: str = ""
) -> RuleVersion:
    """A second person's approval of a pending (loosening) version: it takes effect."""
    row = _pending(db, version_id, actor)
    base = in_force(db, lock=True)
    if base is None or row.base_id != base.id:
        raise Conflict(
            "the rules changed since this version was proposed; propose it again",
            field="id",
        )
    row.status, row.decided_by, row.decided_at = APPLIED, actor, utcnow()
    row.applied_at = row.decided_at
    db.flush()
    _audit(rt, db, row, actor, source, decision="approved")
    return row


def reject(
    rt: Runtime, db: Session, version_id: int, *, actor: str, source: str = ""
) -> RuleVersion:
    """Turn a pending version down (its author may withdraw it too)."""
    row = find(db, version_id)
    if row.status != PENDING:
        raise Conflict("version {id} is not waiting for approval", field="id", id=version_id)
    if row.author != actor:
        _check_approver(db, actor)
    row.status, row.decided_by, row.decided_at = REJECTED, actor, utcnow()
    db.flush()
    _audit(rt, db, row, actor, source, decision="rejected")
    return row


def rollback(
    rt: Runtime, db: Session, version_id: int, *, actor: str, source: str = ""
) -> RuleVersion:
    """A new version with version ``version_id``'s content (pending if that loosens)."""
    old = find(db, version_id)
    if old.status == PENDING:
        raise Conflict("version {id} never took effect", field="id", id=version_id)
    return propose(
        rt,
        db,
        rules=old.rules,
        catalog=old.catalog,
        actor=actor,
        source=source,
        note=f"rollback to version {old.id}",
        rollback_of=old.id,
    )


def history(db: Session, limit: int = 100) -> list[RuleVersion]:
    return list(db.scalars(select(RuleVersion).order_by(RuleVersion.id.desc()).limit(limit)))


def diff(db: Session, row: RuleVersion) -> str:
    """A unified diff of the rules and the catalogue against the version it was based on."""
    base = db.get(RuleVersion, row.base_id) if row.base_id else None
    parts: list[str] = []
    for name, before, after in (
        ("rules.toml", base.rules if base else "", row.rules),
        ("catalog.csv", (base.catalog if base else "") or "", row.catalog or ""),
    ):
        parts.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"{name}@{row.base_id or 0}",
                f"{name}@{row.id}",
            )
        )
    return "".join(parts)


def to_dict(db: Session, row: RuleVersion, *, content: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": row.id,
        "version": row.version,
        "status": row.status,
        "in_force": row.id == in_force_id(db),
        "author": row.author,
        "created_at": row.created_at.isoformat(),
        "base_id": row.base_id,
        "rollback_of": row.rollback_of,
        "loosening": list(row.loosening or []),
        "note": row.note,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "applied_at": row.applied_at.isoformat() if row.applied_at else None,
        "diff": diff(db, row),
    }
    if content:
        answer["rules"], answer["catalog"] = row.rules, row.catalog
    return answer


def _pending(db: Session, version_id: int, actor: str) -> RuleVersion:
    row = find(db, version_id)
    if row.status != PENDING:
        raise Conflict("version {id} is not waiting for approval", field="id", id=version_id)
    if row.author == actor:
        raise Forbidden(
            "a change that loosens protection needs a second person: another admin or "
            "the security lead approves it",
            field="id",
        )
    _check_approver(db, actor)
    return row


def _check_approver(db: Session, actor: str) -> None:
    if not find_user(db, actor).has_role(*APPROVERS):
        raise Forbidden("only an admin or the security lead decides on rules", field="id")


def _add(
    db: Session,
    rules: str,
    catalog: str | None,
    ruleset: RuleSet,
    *,
    author: str,
    status: str,
    base: RuleVersion | None,
) -> RuleVersion:
    now = utcnow()
    row = RuleVersion(
        rules=rules,
        catalog=catalog,
        version=ruleset.version,
        status=status,
        base_id=base.id if base is not None else None,
        loosening=[],
        note="",
        author=author,
        created_at=now,
        applied_at=now if status == APPLIED else None,
    )
    db.add(row)
    return row


def _audit(
    rt: Runtime, db: Session, row: RuleVersion, actor: str, source: str, decision: str = ""
) -> None:
    rt.audit(
        db,
        Event.CONFIG_RULES_CHANGE,
        actor=actor,
        target=f"rules-version:{row.id}",
        source=source,
        details={
            "status": row.status,
            "decision": decision or None,
            "version": row.version,
            "base": row.base_id,
            "rollback_of": row.rollback_of,
            "loosening": list(row.loosening or []),
            "diff": diff(db, row)[:20000],
        },
    )
