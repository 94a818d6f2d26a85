"""The audit chain cannot be cut short: a signed head, and signed checkpoints outside the store.

Each attack is done the way someone holding the database (but not the audit key, which lives
outside it) would: delete the newest entries and rewind the head, delete everything, put
back a head copied earlier, or let Postgate write on after a truncation.
"""

import json
import stat

from sqlalchemy import delete, select, update

from postgate import audit, audit_checkpoint
from postgate.audit_checkpoint import Outcome, checkpoint_file, latest_checkpoint, write_checkpoint
from postgate.services.setup import init_store
from postgate.store.models import AuditEntry, AuditHead
from tests.postgate.test_audit import append, cli_audit


def head_row(rt) -> tuple[int, str, str | None]:
    with rt.store.session() as db:
        head = db.get(AuditHead, 1)
        return head.seq, head.hash, head.sig


def put_head(rt, seq: int, hash_: str, sig: str | None = None, *, keep_sig: bool = False) -> None:
    values = {"seq": seq, "hash": hash_} | ({} if keep_sig else {"sig": sig})
    with rt.store.transaction() as db:
        db.execute(update(AuditHead).where(AuditHead.id == 1).values(**values))


def entry_hash(rt, seq: int) -> str:
    with rt.store.session() as db:
        return db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))


def cut_after(rt, seq: int) -> None:
    with rt.store.transaction() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq > seq))


def test_removing_the_newest_entries_and_rewinding_the_head_fails_verify(any_rt) -> None:
    append(any_rt, 5)
    cut_after(any_rt, 3)
    put_head(any_rt, 3, entry_hash(any_rt, 3), keep_sig=True)
    result = audit_checkpoint.verify_trail(any_rt)
    assert not result.ok and result.bad_seq == 4
    assert "not signed" in result.problem


def test_deleting_every_entry_fails_verify(any_rt) -> None:
    append(any_rt, 5)
    cut_after(any_rt, 0)
    put_head(any_rt, 0, audit.GENESIS, keep_sig=True)
    result = audit_checkpoint.verify_trail(any_rt)
    assert not result.ok and result.bad_seq == 1


def test_a_head_copied_before_the_cut_is_caught_by_the_checkpoint(any_rt) -> None:
    """The head's signature is valid (it was real once): only the checkpoint tells."""
    append(any_rt, 3)
    earlier = head_row(any_rt)
    append(any_rt, 2)
    assert write_checkpoint(any_rt, "periodic").outcome is Outcome.WRITTEN
    cut_after(any_rt, 3)
    put_head(any_rt, *earlier)
    with any_rt.store.session() as db:
        assert audit.verify_chain(db, any_rt.audit_key).ok  # the chain alone looks fine
    result = audit_checkpoint.verify_trail(any_rt)
    assert not result.ok and result.bad_seq == 4
    assert "reached entry 5" in result.problem and "removed from the end" in result.problem


def test_a_chain_written_on_after_a_cut_is_caught_and_never_checkpointed(any_rt) -> None:
    append(any_rt, 3)
    earlier = head_row(any_rt)
    append(any_rt, 2)
    write_checkpoint(any_rt, "periodic")
    cut_after(any_rt, 3)
    put_head(any_rt, *earlier)
    append(any_rt, 3, actor="after-the-cut")  # Postgate goes on writing: entries 4, 5, 6
    result = audit_checkpoint.verify_trail(any_rt)
    assert not result.ok and result.bad_seq == 5 and "entry 5 is not the one" in result.problem
    refused = write_checkpoint(any_rt, "periodic")
    assert refused.outcome is Outcome.REFUSED and "entry 5" in refused.problem
    assert latest_checkpoint(any_rt.settings.checkpoints_path, any_rt.audit_key).seq == 5


def test_intact_chain_verifies_against_its_latest_checkpoint(any_rt) -> None:
    append(any_rt, 4)
    write_checkpoint(any_rt, "periodic")
    append(any_rt, 2)  # entries after the checkpoint are fine
    result = audit_checkpoint.verify_trail(any_rt)
    assert result.ok and result.count == 6 and result.checkpoint_seq == 4


def test_an_unchanged_head_is_not_checkpointed_twice(rt) -> None:
    append(rt, 1)
    assert write_checkpoint(rt, "periodic").outcome is Outcome.WRITTEN
    assert write_checkpoint(rt, "periodic").outcome is Outcome.UNCHANGED
    lines = checkpoint_file(rt.settings.checkpoints_path).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [0, 1]  # init, then entry 1


def test_an_edited_checkpoint_line_fails_verify(rt) -> None:
    append(rt, 3)
    write_checkpoint(rt, "periodic")
    path = checkpoint_file(rt.settings.checkpoints_path)
    lines = path.read_text().splitlines()
    forged = json.loads(lines[-1]) | {"seq": 2}
    path.write_text("\n".join([*lines[:-1], json.dumps(forged)]) + "\n")
    result = audit_checkpoint.verify_trail(rt)
    assert not result.ok and "not signed with the audit key" in result.problem


def test_without_any_checkpoint_verify_cannot_say_ok(rt) -> None:
    append(rt, 2)
    checkpoint_file(rt.settings.checkpoints_path).unlink()
    result = audit_checkpoint.verify_trail(rt)
    assert not result.ok and "no checkpoint in" in result.problem


def test_checkpoint_folder_and_file_are_private(rt) -> None:
    folder = rt.settings.checkpoints_path
    assert folder.parent == rt.settings.keys_path.parent  # beside the keys, apart from the store
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(checkpoint_file(folder).stat().st_mode) == 0o600


def test_init_signs_a_head_left_unsigned_only_when_the_chain_reaches_it(rt) -> None:
    append(rt, 3)
    put_head(rt, *head_row(rt)[:2], None)  # as an older version left it
    assert "not signed" in audit_checkpoint.verify_trail(rt).problem
    init_store(rt)
    assert audit_checkpoint.verify_trail(rt).ok
    cut_after(rt, 2)
    put_head(rt, 2, entry_hash(rt, 2), None)
    init_store(rt)
    assert head_row(rt)[2] is None and not audit_checkpoint.verify_trail(rt).ok


def test_cli_verify_names_the_truncation_and_checkpoint_writes_one(rt) -> None:
    append(rt, 3)
    wrote = cli_audit(rt, "checkpoint")
    assert wrote.returncode == 0 and "written checkpoint at entry 3" in wrote.stdout
    cut_after(rt, 1)
    put_head(rt, 1, entry_hash(rt, 1), keep_sig=True)
    bad = cli_audit(rt, "verify")
    assert bad.returncode == 1 and bad.stderr.startswith("bad entry 2: ")
    assert "Traceback" not in bad.stderr
    refused = cli_audit(rt, "checkpoint")
    assert refused.returncode == 1 and "no checkpoint written" in refused.stderr
