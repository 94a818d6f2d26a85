"""Audit entries are linked into the chain as their action commits.

An entry is made when the action asks for it (:meth:`postgate.runtime.Runtime.audit`) and
written in the action's own transaction, so that it commits or rolls back with the action.
Its place in the chain (``seq``, ``prev_hash``, ``hash``, the head's new signature) is given
at commit, after the action's own writes are flushed: taking the chain's tip locks it for
every writer of every process, and now the lock covers only the statement that takes it and
the one round trip that sends the entries, the head and the COMMIT together
(:func:`postgate.store.at_commit.write_and_commit`). Entries of one transaction are linked in
the order they were made.

Rows that name their entry (a notification's or an outbox message's ``audit_seq``) are told
its number then too.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import cast

from sqlalchemy import Executable, Table, any_, bindparam, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from postgate import audit
from postgate.store.at_commit import AT_COMMIT, Write, call_at_commit, write_and_commit
from postgate.store.models import AuditEntry, Notification, OutboxMessage

_LINKER = "audit"

Follower = Notification | OutboxMessage


class _Linker:
    """The at-commit callback: links the transaction's entries and writes them."""

    def __init__(self, db: Session, key: bytes):
        self.db = db
        self.key = key
        self.entries: list[AuditEntry] = []
        self.followers: list[tuple[AuditEntry, Follower]] = []

    def __call__(self) -> None:
        links = audit.link(self.db, self.key, self.entries)
        for entry, row in self.followers:  # told without becoming a change to flush
            set_committed_value(row, "audit_seq", entry.seq)
        if len(self.entries) == 1 and self.db.get_bind().dialect.name == "postgresql":
            write_and_commit(self.db, [self._one_statement(links)])
        else:
            write_and_commit(self.db, self._statements(links))

    def _one_statement(self, links: audit.Links) -> Write:
        """PostgreSQL, one entry: the entry, the head and the rows that name the entry in
        one statement (data-modifying ``WITH``s), whatever their number."""
        ids: dict[type[Follower], list[int]] = defaultdict(list)
        for _, row in self.followers:
            ids[type(row)].append(row.id)
        named = {f"{model.__tablename__}_ids": rows for model, rows in ids.items()}
        return _entry_naming(frozenset(ids)), {**links.rows[0], **links.head, **named}

    def _statements(self, links: audit.Links) -> list[Write]:
        """Elsewhere, or several entries: the entries, the head, and one statement a table
        for the rows that name them."""
        numbers: dict[type[Follower], list[dict[str, int]]] = defaultdict(list)
        for entry, row in self.followers:
            numbers[type(row)].append({"row_id": row.id, "row_seq": entry.seq})
        return [
            (audit.INSERT_ENTRY, links.rows),
            (audit.MOVE_HEAD, links.head),
            *((_NUMBER[model], rows) for model, rows in numbers.items()),
        ]


def _table(model: type[Follower]) -> Table:
    return cast(Table, model.__table__)


# Core statements on the tables (an ORM one run for many rows would be a bulk update).
_NUMBER = {
    model: update(_table(model))
    .where(_table(model).c.id == bindparam("row_id"))
    .values(audit_seq=bindparam("row_seq"))
    for model in (Notification, OutboxMessage)
}


@functools.cache
def _entry_naming(models: frozenset[type[Follower]]) -> Executable:
    """:data:`audit.INSERT_ENTRY_MOVING_HEAD` that also numbers the rows of ``models``
    given by id (``<table>_ids``): one statement for each set of tables, built once."""
    statement = audit.INSERT_ENTRY_MOVING_HEAD
    for model in sorted(models, key=lambda m: m.__tablename__):
        table = _table(model)
        ids = bindparam(f"{table.name}_ids", type_=ARRAY(table.c.id.type))
        numbering = (
            update(table)
            .where(table.c.id == any_(ids))
            .values(audit_seq=bindparam("entry_seq"))
            .returning(table.c.id)
        )
        statement = statement.add_cte(numbering.cte(f"{table.name}_numbered"))
    return statement


def stage(db: Session, key: bytes, entry: AuditEntry) -> None:
    """Have ``entry`` linked and written when ``db``'s transaction commits (never if it rolls
    back)."""
    _linker(db, key).entries.append(entry)


def follow(db: Session, entry: AuditEntry | None, row: Follower) -> None:
    """Give ``row`` (added to ``db``) the number of ``entry`` (staged in ``db``) once it has
    one. A row of no entry keeps none."""
    linker = db.info.get(AT_COMMIT, {}).get(_LINKER)
    if entry is not None and isinstance(linker, _Linker):
        linker.followers.append((entry, row))


def _linker(db: Session, key: bytes) -> _Linker:
    return call_at_commit(db, _LINKER, _Linker(db, key))
