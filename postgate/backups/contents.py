"""What a store holds, as a backup's manifest records it and a restore checks it: the rows
of each table, the audit chain's head, the schema revision; and the keys' fingerprints.

The counts cover every table of the current models that the store has; worker heartbeats
and the rules version last audited are left out, being state, not data.
"""

from __future__ import annotations

import hashlib
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select

from postgate import audit
from postgate.settings import Settings
from postgate.store.models import AuditHead, Base, ConfigVersion, WorkerHeartbeat
from postgate.vault import load_keys

# Worker heartbeats are the state of processes; the rules version last audited is state
# derived from the rule files (a new store holds its row from the start).
NOT_DATA = {WorkerHeartbeat.__tablename__, ConfigVersion.__tablename__}


def data_tables(connection: Connection) -> list[str]:
    present = set(inspect(connection).get_table_names())
    return [t.name for t in Base.metadata.sorted_tables if t.name in present - NOT_DATA]


def table_counts(connection: Connection) -> dict[str, int]:
    tables = Base.metadata.tables
    return {
        name: int(connection.scalar(select(func.count()).select_from(tables[name])) or 0)
        for name in data_tables(connection)
    }


def audit_head(connection: Connection) -> dict[str, Any]:
    row = connection.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))
    head = row.first()
    return {"seq": head.seq, "hash": head.hash} if head else {"seq": 0, "hash": audit.GENESIS}


def schema_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def describe_store(connection: Connection) -> dict[str, Any]:
    """Everything the manifest says about the data, read in the caller's transaction."""
    return {
        "schema_revision": schema_revision(connection),
        "counts": table_counts(connection),
        "audit_head": audit_head(connection),
    }


def occupied(connection: Connection) -> dict[str, int]:
    """The tables holding data; a store that ``postgate init`` just made holds none (its
    audit head row says zero entries)."""
    counts = table_counts(connection)
    if counts.get(AuditHead.__tablename__) and audit_head(connection)["seq"] == 0:
        counts.pop(AuditHead.__tablename__)
    return {name: count for name, count in counts.items() if count}


def fingerprint(secret: str | bytes) -> str:
    """Names a key without giving it away: a hash of a 256-bit random key reveals nothing."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(b"postgate key fingerprint\0" + raw).hexdigest()[:16]


def key_fingerprints(settings: Settings) -> dict[str, Any]:
    return {
        "audit": fingerprint(audit.load_audit_key(settings)),
        "secret": [fingerprint(key) for key in load_keys(settings)],
    }
