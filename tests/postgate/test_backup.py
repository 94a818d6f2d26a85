"""Backups that restore: taken while Postgate writes, restored into a fresh instance with
the audit chain verifying and the posts, approvals and takedown evidence intact (on SQLite,
and on PostgreSQL with pg_dump and pg_restore in the PostgreSQL run); refused where a
restore would do harm.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tarfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from postgate import audit
from postgate.backups import sqlite as sqlite_backup
from postgate.backups.restore import restore_backup
from postgate.backups.take import create_backup
from postgate.errors import OperationError
from postgate.heartbeat import HeartbeatWriter
from postgate.runtime import Runtime
from postgate.services.setup import init_store
from postgate.settings import load_settings
from postgate.store.db import forget_stores
from postgate.store.models import Approval, Post, Takedown, TakedownItem
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from tests.conftest import ROOT
from tests.helpers import make_account, run_postgate, wait_until

EVIDENCE_TEXT = "Offre exclusive : envoyez vos identifiants ici"


@pytest.fixture
def history(rt, actors, client, tmp_path) -> dict:
    """What a backup must carry: approved and pending posts, and a finished takedown whose
    items hold the evidence of an attacker's post; plus two media files."""
    from workers.takedown import execute

    with running_sandbox(tmp_path / "sandbox.db") as url:
        token = sandbox.issue_token(url, "acme")["access_token"]
        make_account(rt, "acme", base_url=url, token=token)
        author, reviewer = actors.person("alice", "author"), actors.person("bob", "reviewer")
        lead = actors.person("sam", "security")
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        for text_ in ("Nouvelle collection demain.", "Horaires d'été affichés."):
            made = client.post(
                "/api/v1/posts",
                json={"account": "acme", "text": text_, "scheduled_at": tomorrow},
                headers=author.headers,
            )
            assert made.status_code == 201, made.get_json()
        approved = client.post(
            f"/api/v1/posts/{made.get_json()['id']}/approve", json={}, headers=reviewer.headers
        )
        assert approved.status_code == 200, approved.get_json()
        since = datetime.now(UTC) - timedelta(minutes=1)
        sandbox.post_direct(url, "acme", EVIDENCE_TEXT)
        started = client.post(
            "/api/v1/takedowns",
            json={"since": since.isoformat(), "otp": lead.code(), "accounts": ["acme"]},
            headers=lead.headers,
        )
        assert started.status_code == 202, started.get_json()
        execute(rt, started.get_json()["id"])
    media = rt.settings.instance_path / "media"
    (media / "ab").mkdir(parents=True)
    (media / "ab" / "ab12.png").write_bytes(os.urandom(4096))
    (media / "cd.jpg").write_bytes(os.urandom(1000))
    with rt.store.session() as db:
        items = db.scalars(select(TakedownItem)).all()
        assert any(i.evidence.get("text") == EVIDENCE_TEXT for i in items), items
        assert db.scalar(select(Approval.id)) is not None
    return {"media": media}


def rows(url: str, model: type) -> dict[int, dict]:
    """Every row of ``model``'s table, by id, as plain values."""
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            return {
                r.id: {c.key: getattr(r, c.key) for c in inspect(model).column_attrs}
                for r in db.scalars(select(model))
            }
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Keeps appending audit entries (each moving the chain's head) until stopped."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(daemon=True)
        self.rt, self.count, self.stop = rt, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.rt.store.transaction() as db:
                self.rt.audit(
                    db, audit.Event.CONFIG_RULES, actor="writer", details={"n": self.count}
                )
            self.count += 1

    def wait_for(self, count: int) -> None:
        wait_until(lambda: self.count >= count, 60, f"{count} audit entries", step=0.01)


@pytest.fixture
def target(database_url: str, env: dict, tmp_path: Path) -> Iterator[dict]:
    """A fresh instance on another machine, as it were: its own folder, holding a copy of
    the source's keys, and its own database (a new PostgreSQL database, same schema name)."""
    folder = tmp_path / "restored"
    shutil.copytree(Path(env["POSTGATE_INSTANCE"]) / "keys", folder / "keys")
    dropped = None
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{folder / 'postgate.db'}"
    else:
        url, dropped = new_database(database_url, with_schema=True)
    yield {**env, "POSTGATE_INSTANCE": str(folder), "POSTGATE_DATABASE_URL": url}
    if dropped:
        dropped()


def new_database(url: str, *, with_schema: bool):
    """A new PostgreSQL database reached like ``url`` (same search path); and its dropper."""
    name = f"pgrestore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    new_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    if with_schema:
        engine = create_engine(new_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        engine.dispose()

    def drop() -> None:
        forget_stores()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()

    return new_url, drop


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


def rewrite(archive: Path, dest: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data) -> (name, data) | None`` applied."""
    with tarfile.open(archive) as source, tarfile.open(dest, "w:gz") as out:
        for info in source:
            data = source.extractfile(info).read()
            changed = change(info.name, data)
            if changed is None:
                continue
            info.name, data = changed
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return dest


@pytest.fixture
def backup_file(rt, tmp_path) -> Path:
    archive = tmp_path / "backup.tar.gz"
    (rt.settings.instance_path / "media").mkdir(parents=True, exist_ok=True)
    (rt.settings.instance_path / "media" / "x.png").write_bytes(b"\x89PNG fake")
    create_backup(rt, archive)
    return archive


def fresh(target: dict) -> Runtime:
    forget_stores()
    return Runtime(load_settings(env=target))


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
