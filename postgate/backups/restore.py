"""``postgate restore FILE``: a backup into an empty instance, checked before and after.

Before anything is written: the file is a backup of a format this Postgate reads, of the
same kind of store, of a schema revision it knows; the instance's keys are the ones the
backup needs (by fingerprint); the instance is empty (no data in its store, no media, no
worker beating); and every member matches its size and hash. After: the restored store
holds exactly the manifest's row counts and audit head, its audit chain verifies, and a
signed checkpoint of its head is written in this instance's checkpoint folder
(:mod:`postgate.audit_checkpoint`), so ``postgate audit verify`` guards it from then on.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from postgate import audit, audit_checkpoint
from postgate.backups import postgres, sqlite
from postgate.backups.archive import extract_verified, read_manifest
from postgate.backups.contents import describe_store, key_fingerprints, occupied
from postgate.backups.take import MEDIA_FOLDER, media_path
from postgate.errors import OperationError
from postgate.heartbeat import STALE_BEATS
from postgate.runtime import Runtime
from postgate.store import migrate
from postgate.store.models import WorkerHeartbeat
from postgate.store.types import utcnow


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    audit_entries: int
    needs_upgrade: bool  # the backup's schema is older than this Postgate's: run init


def restore_backup(rt: Runtime, archive: Path) -> Restored:
    manifest = read_manifest(archive)
    _check_kind(rt, manifest)
    _check_keys(rt, manifest)
    _check_empty(rt)
    rt.settings.instance_path.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=rt.settings.instance_path) as work:
        files = extract_verified(archive, manifest, Path(work))
        _install_store(rt, manifest, files[manifest["database"]["file"]])
        _install_media(rt, Path(work) / MEDIA_FOLDER)
    older = manifest["schema_revision"] != migrate.head_revision()
    count = _check_restored(rt, manifest, signed_head=not older)
    if not older:  # else `postgate init` upgrades, signs the head and checkpoints it
        _checkpoint(rt)
    return Restored(manifest, count, older)


def _check_kind(rt: Runtime, manifest: dict[str, Any]) -> None:
    kind = manifest["database"]["dialect"]
    if kind != rt.store.dialect:
        raise OperationError(
            f"the backup holds a {kind} store but POSTGATE_DATABASE_URL names a "
            f"{rt.store.dialect} one; restore into the same kind of database"
        )
    revision = manifest["schema_revision"]
    if revision not in migrate.known_revisions():
        raise OperationError(
            f"the backup's schema (revision {revision}) comes from a newer Postgate: "
            "install that version to restore it"
        )


def _check_keys(rt: Runtime, manifest: dict[str, Any]) -> None:
    needed = manifest["keys"]
    try:
        here = key_fingerprints(rt.settings)
    except Exception:
        here = {"audit": None, "secret": []}
    if here["audit"] != needed["audit"] or not set(needed["secret"]) <= set(here["secret"]):
        raise OperationError(
            "this instance's keys differ from the backed-up instance's (backups never hold keys): "
            "copy its keys folder to "
            f"{rt.settings.keys_path}, or set POSTGATE_SECRET_KEYS and POSTGATE_AUDIT_KEY as it "
            "had them, then restore again"
        )


def _check_empty(rt: Runtime) -> None:
    held = _store_data(rt)
    if held:
        listed = ", ".join(f"{count} {table}" for table, count in sorted(held.items()))
        raise OperationError(
            f"the instance is not empty (its store holds {listed}): restore only into an "
            "empty instance, such as a new database"
        )
    media = media_path(rt)
    if media.is_dir() and any(media.iterdir()):
        raise OperationError(f"the instance is not empty: {media} holds files")
    if _live_workers(rt):
        raise OperationError("workers of this instance are running: stop every process first")


def _store_data(rt: Runtime) -> dict[str, int]:
    if rt.store.dialect == "sqlite" and not sqlite.database_path(rt.store.url).exists():
        return {}
    with rt.store.engine.connect() as connection:
        return occupied(connection)


def _live_workers(rt: Runtime) -> bool:
    recent = utcnow() - timedelta(seconds=STALE_BEATS * rt.settings.heartbeat_seconds)
    try:
        with rt.store.session() as db:
            query = select(func.count()).where(
                WorkerHeartbeat.beat_at > recent, WorkerHeartbeat.stopped_at.is_(None)
            )
            return bool(db.scalar(query))
    except SQLAlchemyError:  # no heartbeat table: no schema, so no worker ran here
        return False


def _install_store(rt: Runtime, manifest: dict[str, Any], copy: Path) -> None:
    rt.store.dispose()  # nothing of this process may hold the old store open
    if rt.store.dialect == "sqlite":
        sqlite.install(copy, rt.store.url)
    else:
        postgres.restore(rt.store, copy, manifest["database"]["schema"])


def _install_media(rt: Runtime, extracted: Path) -> None:
    if not extracted.is_dir():
        return
    target = media_path(rt)  # empty (checked before); may be a mount point: keep it
    target.mkdir(parents=True, exist_ok=True)
    for child in extracted.iterdir():
        shutil.move(str(child), target / child.name)


def _checkpoint(rt: Runtime) -> None:
    """From now on this instance's checkpoints protect the restored chain's end."""
    written = audit_checkpoint.write_checkpoint(rt, "restore")
    if written.outcome is audit_checkpoint.Outcome.REFUSED:
        raise OperationError(
            f"the restored audit chain cannot be checkpointed: {written.problem}; this "
            f"instance's checkpoint folder ({rt.settings.checkpoints_path}) must be new"
        )


def _check_restored(rt: Runtime, manifest: dict[str, Any], *, signed_head: bool = True) -> int:
    with rt.store.engine.connect() as connection:
        found = describe_store(connection)
    for key in ("schema_revision", "counts", "audit_head"):
        if found[key] != manifest[key]:
            raise OperationError(
                f"the restored store does not match the backup's manifest ({key}); "
                "do not use it: restore again into an empty instance"
            )
    with rt.store.session() as db:
        verdict = audit.verify_chain(db, rt.audit_key, check_head_signature=signed_head)
    if not verdict.ok:
        raise OperationError(
            f"the restored audit chain does not verify: entry {verdict.bad_seq}: {verdict.problem}"
        )
    return verdict.count
