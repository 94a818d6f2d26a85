"""The rule set's version in the audit log: ``config:rules`` with the old and new version.

Every process loads the rules itself and reloads them when one of their files changes (the
rules, the catalogue, a terms file). The version in force is kept in the store
(``config_versions``); the first process to evaluate a post under another version moves it,
under the row's lock, in the transaction that writes the audit entry, so several processes
noticing the same change write one entry. Workers also look every ``checkpoint_seconds``, so
an edit is recorded even while nobody posts.
"""

from __future__ import annotations

import logging
import weakref

from sqlalchemy import select
from sqlalchemy.orm import Session

from postgate.audit import Event
from postgate.runtime import Runtime
from postgate.store.db import Store, is_writable
from postgate.store.models import ConfigVersion
from postgate.store.types import utcnow
from rules import RuleSet

log = logging.getLogger("postgate.rules")

RULES = "rules"
# Per process and store: the version known to be recorded, so most calls read nothing.
_known: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


def note_rules_version(rt: Runtime, ruleset: RuleSet, db: Session | None = None) -> bool:
    """Record ``ruleset``'s version as the one in force; True when this call audited a change.

    ``db`` is the caller's session: used when it is a write transaction (a second write
    transaction would wait on the first under SQLite), else a transaction of our own.
    """
    store = rt.store
    if _known.get(store) == ruleset.version:
        return False
    if db is not None and is_writable(db):
        changed = _move(rt, db, ruleset)
    else:
        with rt.store.transaction() as own:
            changed = _move(rt, own, ruleset)
    _known[store] = ruleset.version
    return changed


def _move(rt: Runtime, db: Session, ruleset: RuleSet) -> bool:
    version = ruleset.version
    row = db.scalar(select(ConfigVersion).where(ConfigVersion.name == RULES).with_for_update())
    if row is None:  # a store made before the row existed
        row = ConfigVersion(name=RULES, version="")
        db.add(row)
    if row.version == version:
        return False
    old = row.version or None
    row.version, row.changed_at = version, utcnow()
    rt.audit(
        db,
        Event.CONFIG_RULES,
        actor="postgate",
        target="config:rules",
        details={"old": old, "new": version, "files": [str(p) for p in ruleset.sources]},
    )
    log.info("rules version %s -> %s", old, version)
    return True
