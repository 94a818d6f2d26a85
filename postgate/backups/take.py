"""``postgate backup FILE``: the store, the media and a manifest, while Postgate runs."""

from __future__ import annotations

import platform
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from postgate import __version__
from postgate.backups import postgres, sqlite
from postgate.backups.archive import FORMAT, FORMAT_VERSION, Member, write_archive
from postgate.backups.contents import describe_store, key_fingerprints
from postgate.errors import OperationError
from postgate.runtime import Runtime
from postgate.store.types import utcnow

MEDIA_FOLDER = "media"  # <instance>/media, where media files live when kept on disk


def media_path(rt: Runtime) -> Path:
    """Where media files live on disk: the directory backend's folder (a shared volume,
    ``[media] directory``), else ``<instance>/media``. With the store backend the images are
    rows of the store, in its copy."""
    settings = rt.settings
    if settings.media_backend == "directory" and settings.media_directory is not None:
        return settings.media_directory
    return settings.instance_path / MEDIA_FOLDER


def create_backup(rt: Runtime, dest: Path, *, now: datetime | None = None) -> dict[str, Any]:
    """Write the backup to ``dest`` (which must not exist); returns its manifest."""
    dest = dest.resolve()
    if dest.exists():
        raise OperationError(f"{dest} exists already; give a new file name")
    if not dest.parent.is_dir():
        raise OperationError(f"{dest.parent} is not a folder")
    keys = key_fingerprints(rt.settings)
    with tempfile.TemporaryDirectory(prefix=".postgate-backup-", dir=dest.parent) as work:
        store_member, database, contents = _copy_store(rt, Path(work))
        members = [store_member, *_media_members(rt)]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": (now or utcnow()).isoformat(),
            "postgate_version": __version__,
            "python_version": platform.python_version(),
            "database": database,
            **contents,
            "media_files": len(members) - 1,
            "keys": keys,
            "members": [m.describe() for m in members],
        }
        write_archive(dest, manifest, members)
    return manifest


def _copy_store(rt: Runtime, work: Path) -> tuple[Member, dict[str, Any], dict[str, Any]]:
    store = rt.store
    if store.dialect == "sqlite":
        copy = work / "postgate.sqlite3"
        details = sqlite.snapshot(store.url, copy)
        with sqlite.connect_file(copy) as connection:
            contents = describe_store(connection)
        name = "store/postgate.sqlite3"
    else:
        copy = work / "postgate.pgdump"
        contents, details = postgres.dump(store, copy, describe_store)
        name = "store/postgate.pgdump"
    if contents["schema_revision"] is None:
        raise OperationError("the store has no schema yet: there is nothing to back up")
    database = {"dialect": store.dialect, "file": name, **details}
    return Member.of(name, copy), database, contents


def _media_members(rt: Runtime) -> list[Member]:
    root = media_path(rt)
    if not root.is_dir():
        return []
    return [
        Member.of(f"{MEDIA_FOLDER}/{path.relative_to(root).as_posix()}", path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]
