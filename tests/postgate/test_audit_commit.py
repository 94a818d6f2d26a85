"""Audit entries are linked into the chain as their action commits (issue 16).

The chain's tip is locked from the statement that takes it to the end of the transaction,
and every writer of every process waits for it: so it is taken last, once the action's own
writes are flushed, and on PostgreSQL the entries, the head and the COMMIT leave together.
An entry still commits or rolls back with its action, entries of one transaction keep the
order they were made in, and the rows that name an entry (notifications) get its number.
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import create_engine, event, exc, select, text

from gateway.outages import is_outage
from postgate import audit
from postgate.notifications.kinds import Kind
from postgate.runtime import Runtime
from postgate.services.posts import submit
from postgate.settings import load_settings
from postgate.store.models import AuditEntry, AuditHead, Notification, OutboxMessage, User
from postgate.store.types import utcnow
from tests.helpers import sent_statements
from tests.postgate.service_people import CLEAN, LATER, account, people, submitted
from tests.postgate.test_audit import process_env


def _entries(rt, *columns) -> list[tuple]:
    """The chain's entries in order: their ``seq`` and the ``columns`` asked."""
    with rt.store.session() as db:
        rows = db.execute(select(AuditEntry.seq, *columns).order_by(AuditEntry.seq))
        return [tuple(row) for row in rows]


def _verified(rt) -> audit.Verification:
    with rt.store.session() as db:
        return audit.verify_chain(db, rt.audit_key)


def test_entries_of_one_transaction_are_linked_in_the_order_they_were_made(any_rt) -> None:
    before = len(_entries(any_rt))
    with any_rt.store.transaction() as db:
        for i in range(3):
            any_rt.audit(db, audit.Event.POST_CANCEL, actor="robot", target=f"post:{i}")
    with any_rt.store.transaction() as db:
        any_rt.audit(db, audit.Event.POST_CANCEL, actor="robot", target="post:9")
    assert _entries(any_rt, AuditEntry.target)[before:] == [
        (before + 1, "post:0"),
        (before + 2, "post:1"),
        (before + 3, "post:2"),
        (before + 4, "post:9"),
    ]
    assert _verified(any_rt) == audit.Verification(True, before + 4)


def test_the_tip_is_taken_after_the_actions_own_writes(any_rt) -> None:
    """Once it holds the chain's lock, the transaction only writes its entries and commits."""
    people(any_rt, ana=("author",))
    with sent_statements(any_rt) as sent, any_rt.store.transaction() as db:
        any_rt.audit(db, audit.Event.POST_CANCEL, actor="robot", target="post:1")
        ana = db.scalar(select(User).where(User.username == "ana"))
        db.add(Notification(user_id=ana.id, kind=Kind.POST_FAILED, params={}))
    statements = [" ".join(s.split()) for s in sent]
    writes = [s for s in statements if not s.startswith(("SELECT", "BEGIN"))]
    take = next(i for i, s in enumerate(writes) if s.startswith("UPDATE audit_head SET seq="))
    assert [s.split()[2] for s in writes[:take]] == ["notifications"], sent
    assert all("INTO audit_entries" in s or "audit_head" in s for s in writes[take:]), sent


def test_a_session_reused_after_a_rollback_does_not_write_the_entry_it_dropped(any_rt) -> None:
    before = len(_entries(any_rt))
    session = any_rt.store._sessions()
    with session:
        session.begin()
        any_rt.audit(session, audit.Event.POST_CANCEL, actor="robot", target="post:dropped")
        session.rollback()
        session.begin()
        any_rt.audit(session, audit.Event.POST_CANCEL, actor="robot", target="post:kept")
        session.commit()
    assert [target for _, target in _entries(any_rt, AuditEntry.target)[before:]] == ["post:kept"]
    assert _verified(any_rt).ok


def _named(rt, model, kind: Kind) -> dict[int, list[int | None]]:
    """Post id -> the audit numbers its rows of ``kind`` name."""
    with rt.store.session() as db:
        found: dict[int, list[int | None]] = {}
        for params, seq in db.execute(
            select(model.params, model.audit_seq).where(model.kind == kind)
        ):
            found.setdefault(params["post"], []).append(seq)
        return found


def _submissions(rt) -> dict[int, int]:
    """Post id -> its submission's audit number."""
    with rt.store.session() as db:
        rows = db.execute(
            select(AuditEntry.target, AuditEntry.seq).where(AuditEntry.action == "post:submit")
        )
        return {int(target.split(":")[1]): seq for target, seq in rows}


def test_a_review_request_and_its_reminders_name_the_entry_of_their_submission(rt) -> None:
    account(rt, "acme")
    people(rt, ana=("author",), rev=("reviewer",), eve=("reviewer",))
    post_id = submitted(rt, "ana")  # scheduled in 2030: reminders are queued too
    seq = _submissions(rt)[post_id]
    assert _named(rt, Notification, Kind.REVIEW_PENDING) == {post_id: [seq, seq]}
    assert _named(rt, OutboxMessage, Kind.REVIEW_REMINDER) == {post_id: [seq, seq]}


def test_rows_name_their_own_entry_when_a_transaction_makes_several(rt) -> None:
    account(rt, "acme")
    people(rt, ana=("author",), rev=("reviewer",))
    with rt.store.transaction() as db:
        ana = db.scalar(select(User).where(User.username == "ana"))
        first = submit(rt, db, ana, "acme", CLEAN, LATER).id
        second = submit(rt, db, ana, "acme", CLEAN + " Encore.", LATER).id
    seqs = _submissions(rt)
    assert seqs[second] == seqs[first] + 1
    assert _named(rt, Notification, Kind.REVIEW_PENDING) == {
        first: [seqs[first]],
        second: [seqs[second]],
    }
    assert _named(rt, OutboxMessage, Kind.REVIEW_REMINDER) == {
        first: [seqs[first]],
        second: [seqs[second]],
    }
    assert _verified(rt).ok


def _transactions_in_child(env: dict, actor: str, count: int) -> None:
    rt = Runtime(load_settings(env=env))
    for i in range(count):
        with rt.store.transaction() as db:
            for part in range(3):
                rt.audit(db, audit.Event.POST_CANCEL, actor=actor, target=f"post:{i}.{part}")


def test_two_processes_committing_several_entries_at_once_keep_each_transaction_together(
    any_rt,
) -> None:
    """Each transaction's entries take consecutive places, whatever commits beside it."""
    before = len(_entries(any_rt))
    ctx = multiprocessing.get_context("spawn")
    env = process_env(any_rt)
    procs = [ctx.Process(target=_transactions_in_child, args=(env, f"p{i}", 15)) for i in (1, 2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    made = [
        (actor, target)
        for _, actor, target in _entries(any_rt, AuditEntry.actor, AuditEntry.target)[before:]
    ]
    assert len(made) == 90
    for first in range(0, 90, 3):
        actor, target = made[first]
        transaction = target.rsplit(".", 1)[0]
        assert made[first : first + 3] == [(actor, f"{transaction}.{part}") for part in range(3)]
    assert _verified(any_rt) == audit.Verification(True, before + 90)


def test_a_failure_with_the_commit_leaves_neither_the_action_nor_its_entry(any_rt) -> None:
    """A store whose next entry number is already taken (written behind Postgate's back):
    the entry cannot be written, so nothing of the action is."""
    people(any_rt, ana=("author",))
    with any_rt.store.transaction() as db:
        head = db.get(AuditHead, 1)
        db.execute(
            audit.INSERT_ENTRY,
            {
                f"entry_{name}": value
                for name, value in {
                    "seq": head.seq + 1,
                    "at": utcnow(),
                    "actor": "x",
                    "action": "x",
                    "target": "",
                    "details": {},
                    "source": "",
                    "result": "ok",
                    "prev_hash": "",
                    "hash": "",
                }.items()
            },
        )
        seq, tip = head.seq, head.hash
    with pytest.raises(exc.IntegrityError):
        with any_rt.store.transaction() as db:
            any_rt.audit(db, audit.Event.POST_CANCEL, actor="robot", target="post:1")
            ana = db.scalar(select(User).where(User.username == "ana"))
            db.add(Notification(user_id=ana.id, kind=Kind.POST_FAILED, params={}))
    with any_rt.store.session() as db:
        assert (db.get(AuditHead, 1).seq, db.get(AuditHead, 1).hash) == (seq, tip)
        assert (
            db.scalar(select(Notification.id).where(Notification.kind == Kind.POST_FAILED)) is None
        )


@pytest.mark.postgresql_pass
def test_a_writer_does_not_wait_for_an_open_transaction_that_made_an_entry(pg_rt) -> None:
    """Before, the tip was locked where the entry was made: one slow action held up every
    audited write of the installation until it ended."""
    with pg_rt.store.transaction() as slow:
        pg_rt.audit(slow, audit.Event.POST_CANCEL, actor="slow", target="post:1")
        slow.execute(text("SELECT 1"))
        done = threading.Event()

        def other() -> None:
            with pg_rt.store.transaction() as db:
                pg_rt.audit(db, audit.Event.POST_CANCEL, actor="quick", target="post:2")
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        finished = done.wait(10)
    thread.join(10)
    assert finished, "the second writer waited for the first transaction's end"
    assert [actor for _, actor in _entries(pg_rt, AuditEntry.actor)][-2:] == ["quick", "slow"]
    assert _verified(pg_rt).ok


@pytest.mark.postgresql_pass
def test_the_store_going_away_as_the_entries_are_sent_is_an_outage(pg_rt) -> None:
    """The entries and the COMMIT are read back outside SQLAlchemy's execution: a lost
    connection there is still SQLAlchemy's OperationalError (the API's 503), and the pool
    does not hand the dead connection out again."""
    killer = create_engine(pg_rt.store.url)

    def terminate(conn, _cursor, statement, *_args) -> None:
        if "INSERT INTO audit_entries" in statement:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with killer.begin() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    before = _verified(pg_rt).count
    event.listen(pg_rt.store.engine, "before_cursor_execute", terminate)
    try:
        with pytest.raises(exc.OperationalError) as raised:
            with pg_rt.store.transaction() as db:
                pg_rt.audit(db, audit.Event.POST_CANCEL, actor="robot", target="post:1")
    finally:
        event.remove(pg_rt.store.engine, "before_cursor_execute", terminate)
        killer.dispose()
    assert is_outage(raised.value)
    with pg_rt.store.transaction() as db:  # a working connection, not the dead one
        pg_rt.audit(db, audit.Event.POST_CANCEL, actor="robot", target="post:2")
    assert _verified(pg_rt) == audit.Verification(True, before + 1)
