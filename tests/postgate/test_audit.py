import multiprocessing
import subprocess

from sqlalchemy import delete, select, update

from postgate import audit
from postgate.store.models import AuditEntry
from tests.helpers import postgate_cli


def append(rt, n: int, actor: str = "tester") -> None:
    for i in range(n):
        with rt.store.transaction() as db:
            rt.audit(db, audit.Event.POST_SUBMIT, actor=actor, target=f"post:{i}", details={"i": i})


def verify(rt) -> audit.Verification:
    with rt.store.session() as db:
        return audit.verify_chain(db, rt.audit_key)


def test_intact_chain_verifies(any_rt) -> None:
    append(any_rt, 5)
    assert verify(any_rt) == audit.Verification(True, 5)


def test_entry_rolls_back_with_its_action(any_rt) -> None:
    append(any_rt, 2)
    try:
        with any_rt.store.transaction() as db:
            any_rt.audit(db, audit.Event.POST_SUBMIT, actor="x", target="post:9")
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    append(any_rt, 1)
    result = verify(any_rt)
    assert result.ok and result.count == 3


def test_edited_entry_is_detected(any_rt) -> None:
    append(any_rt, 5)
    with any_rt.store.transaction() as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone-else"))
    result = verify(any_rt)
    assert not result.ok and result.bad_seq == 3 and "edited" in result.problem


def test_removed_entry_is_detected(any_rt) -> None:
    append(any_rt, 5)
    with any_rt.store.transaction() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    result = verify(any_rt)
    assert not result.ok and result.bad_seq == 3


def test_removed_last_entry_is_detected(any_rt) -> None:
    append(any_rt, 5)
    with any_rt.store.transaction() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    assert not verify(any_rt).ok


def test_inserted_entry_is_detected(any_rt) -> None:
    append(any_rt, 3)
    with any_rt.store.transaction() as db:
        last = db.scalar(select(AuditEntry).where(AuditEntry.seq == 3))
        db.expunge(last)
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=4))
        forged = AuditEntry(
            seq=3,
            at=last.at,
            actor="forger",
            action="post:approve",
            target="post:1",
            details={},
            source="",
            result="ok",
            prev_hash=last.prev_hash,
            hash="0" * 64,
        )
        db.add(forged)
    result = verify(any_rt)
    assert not result.ok and result.bad_seq in (3, 4)


def test_reordered_entries_are_detected(any_rt) -> None:
    append(any_rt, 4)
    with any_rt.store.transaction() as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=100))
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2))
        db.execute(update(AuditEntry).where(AuditEntry.seq == 100).values(seq=3))
    result = verify(any_rt)
    assert not result.ok and result.bad_seq == 2


def test_recomputed_plain_hash_does_not_pass_without_the_key(any_rt) -> None:
    """Whoever can write only to the database cannot re-seal an edited chain."""
    import hashlib
    import hmac

    append(any_rt, 2)
    with any_rt.store.transaction() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        entry.actor = "forger"
        entry.hash = hmac.new(b"guessed-key", audit._canonical(entry), hashlib.sha256).hexdigest()
    assert not verify(any_rt).ok


def process_env(rt) -> dict[str, str]:
    """What a process of its own needs to reach the runtime's store and Redis."""
    settings = rt.settings
    return {
        "POSTGATE_INSTANCE": str(settings.instance_path),
        "POSTGATE_DATABASE_URL": settings.database_url,
        "POSTGATE_REDIS_URL": settings.redis_url,
    }


def _append_in_child(env: dict, n: int, actor: str) -> None:
    from postgate.runtime import Runtime
    from postgate.settings import load_settings

    rt = Runtime(load_settings(env=env))
    append(rt, n, actor)


def test_two_processes_appending_at_once_keep_one_chain(any_rt) -> None:
    env = process_env(any_rt)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_in_child, args=(env, 25, f"p{i}")) for i in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    result = verify(any_rt)
    assert result.ok and result.count == 50


def cli_audit(rt, command: str = "verify") -> subprocess.CompletedProcess:
    """``postgate audit COMMAND`` in a process of its own, on the runtime's store."""
    env = {**process_env(rt), "PATH": "/usr/bin:/bin"}
    return postgate_cli(["audit", command], env, timeout=60)


def test_cli_verify_reports_ok_and_the_first_bad_entry(any_rt) -> None:
    append(any_rt, 3)
    ok = cli_audit(any_rt)
    assert ok.returncode == 0 and ok.stdout.strip() == "ok 3 entries"
    with any_rt.store.transaction() as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(details={"i": 99}))
    bad = cli_audit(any_rt)
    assert bad.returncode == 1 and "bad entry 2" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_verify_fails_when_the_newest_entries_are_cut_and_the_head_rewound(rt) -> None:
    """The attack of issue 10: delete the newest entries, point the head at what is left."""
    append(rt, 5)
    with rt.store.transaction() as db:
        third = db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 3))
        db.execute(delete(AuditEntry).where(AuditEntry.seq > 3))
        db.execute(update(audit.AuditHead).where(audit.AuditHead.id == 1).values(seq=3, hash=third))
    result = cli_audit(rt)
    assert result.returncode == 1 and result.stderr.startswith("bad entry 4: "), result


def test_cli_verify_fails_when_every_entry_is_deleted(rt) -> None:
    append(rt, 5)
    with rt.store.transaction() as db:
        db.execute(delete(AuditEntry))
        db.execute(
            update(audit.AuditHead).where(audit.AuditHead.id == 1).values(seq=0, hash=audit.GENESIS)
        )
    result = cli_audit(rt)
    assert result.returncode == 1 and "ok 0 entries" not in result.stdout, result
