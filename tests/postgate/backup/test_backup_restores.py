"""Backups taken while Postgate writes restore into a fresh instance with the audit chain
verifying and the posts, approvals and takedown evidence intact (on SQLite, and on
PostgreSQL with pg_dump and pg_restore in the PostgreSQL run)."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from postgate import audit
from postgate.backups import sqlite as sqlite_backup
from postgate.backups.restore import restore_backup
from postgate.backups.take import create_backup
from postgate.runtime import Runtime
from postgate.services.setup import init_store
from postgate.settings import load_settings
from postgate.store.db import forget_stores
from postgate.store.models import Approval, Post, Takedown, TakedownItem
from tests.conftest import ROOT
from tests.helpers import run_postgate
from tests.postgate.backup.support import EVIDENCE_TEXT, Writer, fresh, new_database, rows


def test_backup_taken_under_writes_restores_with_chain_posts_approvals_and_evidence(
    rt, env, history, target, tmp_path
):
    archive = tmp_path / "postgate-backup.tar.gz"
    writer = Writer(rt)
    writer.start()
    try:
        writer.wait_for(20)
        before = writer.count
        made = run_postgate(env, "backup", str(archive))
        after = writer.count
        writer.wait_for(after + 5)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert made.returncode == 0, made.stderr
    assert after > before, "the backup ran while the store was being written"
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    init = run_postgate(target, "init")  # as compose's one-shot service would, before the restore
    assert init.returncode == 0, init.stderr
    restored = run_postgate(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    verified = run_postgate(target, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    manifest = json.loads(tarfile.open(archive).extractfile("manifest.json").read())
    entries = manifest["audit_head"]["seq"]
    assert verified.stdout.strip() == f"ok {entries} entries"
    with rt.store.session() as db:
        total = audit.verify_chain(db, rt.audit_key).count
    assert entries < total, "entries written after the snapshot are not in it"

    source_url, target_url = rt.settings.database_url, target["POSTGATE_DATABASE_URL"]
    for model in (Post, Approval, Takedown, TakedownItem):
        copy, original = rows(target_url, model), rows(source_url, model)
        assert copy and copy == original, model.__name__
    evidence = [i["evidence"] for i in rows(target_url, TakedownItem).values()]
    assert any(e.get("text") == EVIDENCE_TEXT for e in evidence)
    media = Path(target["POSTGATE_INSTANCE"]) / "media"
    for path in history["media"].rglob("*.*"):
        assert (media / path.relative_to(history["media"])).read_bytes() == path.read_bytes()


def test_sqlite_snapshots_are_consistent_while_a_writer_runs(tmp_path):
    """Twenty online copies under a busy writer: each one's chain verifies to its own head."""
    env = {
        "POSTGATE_INSTANCE": str(tmp_path),
        "POSTGATE_CONFIG": str(ROOT / "config/postgate.toml"),
    }
    forget_stores()
    rt = Runtime(load_settings(env=env))
    init_store(rt)
    writer = Writer(rt)
    writer.start()
    during = 0
    try:
        writer.wait_for(50)
        for n in range(20):
            start = writer.count
            copy = tmp_path / f"copy-{n}.db"
            sqlite_backup.snapshot(rt.store.url, copy)
            during += writer.count - start
            engine = create_engine(f"sqlite:///{copy}")
            with Session(engine) as db:
                assert audit.verify_chain(db, rt.audit_key).ok
            engine.dispose()
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        rt.store.dispose()
    assert during > 0, "the writer never wrote while a copy was being taken"


def test_postgres_restore_into_a_new_database_creates_the_schema(
    postgres_base, redis_url, tmp_path
):
    """Without `postgate init` first: the dump brings its schema along."""
    if postgres_base is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (database test)")
    from tests.conftest import _reset_postgres, make_env

    _reset_postgres(postgres_base)
    source = fresh(make_env(tmp_path / "source", postgres_base, redis_url))
    init_store(source)
    with source.store.transaction() as db:
        source.audit(db, audit.Event.CONFIG_RULES, actor="test")
    archive = tmp_path / "backup.tar.gz"
    create_backup(source, archive)
    url, drop = new_database(postgres_base, with_schema=False)
    try:
        folder = tmp_path / "source" / "instance"
        target = fresh({**make_env(tmp_path / "target", url, redis_url)})
        shutil.copytree(folder / "keys", target.settings.keys_path)
        assert restore_backup(target, archive).audit_entries == 1
    finally:
        drop()
