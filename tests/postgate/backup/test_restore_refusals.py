"""A restore is refused, changing nothing, wherever it would do harm; a backup never
overwrites a file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect

from postgate import audit
from postgate.backups.restore import restore_backup
from postgate.backups.take import create_backup
from postgate.errors import OperationError
from postgate.heartbeat import HeartbeatWriter
from postgate.services.setup import init_store
from tests.conftest import ROOT
from tests.helpers import run_postgate
from tests.postgate.backup.support import fresh, rewrite


def test_restore_refuses_a_non_empty_instance_and_changes_nothing(rt, actors, tmp_path):
    actors.create("alice", "author")
    backup_file = tmp_path / "backup.tar.gz"
    create_backup(rt, backup_file)
    with rt.store.session() as db:
        before = audit.verify_chain(db, rt.audit_key).count
    with pytest.raises(
        OperationError,
        match=r"not empty \(its store holds 1 audit_entries, 1 audit_head, 1 users\)",
    ):
        restore_backup(rt, backup_file)
    with rt.store.session() as db:
        assert audit.verify_chain(db, rt.audit_key).count == before


def test_restore_refuses_an_altered_member_before_writing(rt, backup_file, target, tmp_path):
    def flip(name: str, data: bytes):
        return (
            (name, data[:-1] + bytes([data[-1] ^ 1])) if name.startswith("store/") else (name, data)
        )

    altered = rewrite(backup_file, tmp_path / "altered.tar.gz", flip)
    restored = fresh(target)
    with pytest.raises(OperationError, match="does not match the manifest"):
        restore_backup(restored, altered)
    with restored.store.engine.connect() as connection:
        assert inspect(connection).get_table_names() == [], "nothing may be written"


def test_restore_refuses_a_member_escaping_the_instance(rt, backup_file, target, tmp_path):
    def escape(name: str, data: bytes):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["members"][-1]["name"] = "media/../../escaped.png"
            return name, json.dumps(manifest).encode()
        return ("media/../../escaped.png", data) if name.startswith("media/") else (name, data)

    hostile = rewrite(backup_file, tmp_path / "hostile.tar.gz", escape)
    with pytest.raises(OperationError, match="outside store/ and media/"):
        restore_backup(fresh(target), hostile)
    assert not (tmp_path / "escaped.png").exists()

    smuggled = rewrite(
        backup_file, tmp_path / "smuggled.tar.gz",
        lambda name, data: ("../smuggled", data) if name.startswith("media/") else (name, data),
    )  # fmt: skip
    with pytest.raises(OperationError, match=re.escape("unexpected member '../smuggled'")):
        restore_backup(fresh(target), smuggled)


def test_restore_refuses_an_instance_with_other_keys(rt, backup_file, target):
    shutil.rmtree(Path(target["POSTGATE_INSTANCE"]) / "keys")
    other = fresh(target)
    init_store(other)  # makes keys of its own
    with pytest.raises(OperationError, match="keys differ from the backed-up instance's"):
        restore_backup(other, backup_file)


def test_restore_refuses_while_a_worker_of_the_instance_runs(rt, backup_file, target):
    restored = fresh(target)
    init_store(restored)
    HeartbeatWriter(restored, "still-running").maybe_beat()
    with pytest.raises(OperationError, match="workers of this instance are running"):
        restore_backup(restored, backup_file)


def test_backup_never_overwrites_a_file(rt, backup_file):
    before = backup_file.read_bytes()
    result = run_postgate(
        {
            "POSTGATE_INSTANCE": str(rt.settings.instance_path),
            "POSTGATE_DATABASE_URL": rt.settings.database_url,
            "POSTGATE_CONFIG": str(ROOT / "config/postgate.toml"),
        },
        "backup",
        str(backup_file),
    )
    assert result.returncode == 1 and "exists already" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert backup_file.read_bytes() == before
