"""The backup file itself: a manifest and members, written atomically, read defensively.

Reading trusts nothing in the file: a member must be named in the manifest, be a regular
file under ``store/`` or ``media/`` with no ``..`` or absolute path, and match its size and
SHA-256, or the restore stops before writing anything where it counts.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from postgate.errors import OperationError

FORMAT = "postgate-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBER_ROOTS = ("store", "media")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    name: str  # the path inside the archive, e.g. "media/ab/cd.png"
    path: Path  # where its bytes are on this machine
    size: int
    sha256: str

    @classmethod
    def of(cls, name: str, path: Path) -> Member:
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
                size += len(block)
        return cls(name, path, size, digest.hexdigest())

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


def safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and "\\" not in name
        and ".." not in path.parts
        and len(path.parts) >= 2
        and path.parts[0] in MEMBER_ROOTS
    )


def write_archive(dest: Path, manifest: dict[str, Any], members: list[Member]) -> None:
    """Write ``dest`` (mode 0600) whole or not at all: a half-written backup never has the
    final name."""
    if dest.exists():
        raise OperationError(f"{dest} exists already; give a new file name")
    partial = dest.with_name(f".{dest.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(body))
            for member in members:
                tar.add(member.path, arcname=member.name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:*") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise OperationError(f"{archive} is not a Postgate backup (no manifest first)")
            handle = tar.extractfile(first)
            assert handle is not None
            manifest = json.loads(handle.read(1 << 24))
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise OperationError(f"{archive} cannot be read as a Postgate backup: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OperationError(f"{archive} is not a Postgate backup (unknown manifest)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise OperationError(
            f"{archive} is a backup of format {manifest.get('format_version')}; this Postgate "
            f"reads format {FORMAT_VERSION}"
        )
    return manifest


def extract_verified(archive: Path, manifest: dict[str, Any], into: Path) -> dict[str, Path]:
    """Every member into ``into``, each checked against the manifest; name -> local path."""
    expected = {m["name"]: m for m in manifest.get("members", [])}
    if not all(safe_name(name) for name in expected):
        raise OperationError(f"{archive}: the manifest names a file outside store/ and media/")
    found: dict[str, Path] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for info in tar:
                if info.name == MANIFEST:
                    continue
                if info.name not in expected or not info.isfile() or info.name in found:
                    raise OperationError(f"{archive}: unexpected member {info.name!r}; refused")
                found[info.name] = _extract_one(tar, info, into, expected[info.name])
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise OperationError(f"{archive} is damaged: {exc}") from None
    missing = sorted(set(expected) - set(found))
    if missing:
        raise OperationError(f"{archive} is incomplete: {missing[0]} is missing")
    return found


def _extract_one(tar: tarfile.TarFile, info: tarfile.TarInfo, into: Path, want: dict) -> Path:
    target = into.joinpath(*PurePosixPath(info.name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(info)
    assert source is not None
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        while block := source.read(CHUNK):
            digest.update(block)
            size += len(block)
            out.write(block)
    if size != want["size"] or digest.hexdigest() != want["sha256"]:
        raise OperationError(
            f"{info.name} does not match the manifest (the backup is damaged or was altered)"
        )
    return target
