"""A takedown's evidence as one ZIP archive, for lawyers and the platform's abuse team.

The archive holds, for every post the takedown found, its item as the API shows it (origin,
outcome, reason) with the evidence stored before anything was changed: the text, times,
visibility and the platform's full record of the post (``platform_record``). It also holds
the incident report (JSON and Markdown), each post's media files as downloaded before
anything changed (``media/<sha256>.<ext>``, named in the post's ``evidence.media``), and
``manifest.json``, which lists the SHA-256 of every other file, so a recipient can check
nothing was altered since the export.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from postgate.media.config import storage_for
from postgate.services.incident import incident_report, report_markdown
from postgate.services.takedown_view import item_to_dict, load_takedown
from postgate.services.takedown_windows import account_names
from postgate.settings import Settings

MANIFEST = "manifest.json"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def evidence_archive(db: Session, takedown_id: int, settings: Settings) -> bytes:
    """The ZIP's bytes; NotFound for an unknown takedown. ``settings`` name the media
    backend the files the evidence names are read from."""
    takedown = load_takedown(db, takedown_id)
    report = incident_report(db, takedown_id)
    names = account_names(db, takedown)
    files: dict[str, bytes] = {
        "report.json": _json(report),
        "report.md": report_markdown(report).encode("utf-8"),
    }
    for item in takedown.items:
        account = names.get(item.account_id, "unknown")
        path = f"posts/{_safe(account)}/{item.id:06d}-{_safe(item.remote_id)[:80]}.json"
        files[path] = _json(item_to_dict(item, account))
        files.update(_media_files(db, settings, item.evidence))
    manifest = {
        "takedown": takedown.id,
        "exported_at": datetime.now(UTC).isoformat(),
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for path, data in files.items()
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, _json(manifest))
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def evidence_file(
    db: Session, takedown_id: int, sha256: str, settings: Settings
) -> tuple[bytes, str] | None:
    """A media file this takedown's evidence names, with its type; None for any other."""
    takedown = load_takedown(db, takedown_id)
    for item in takedown.items:
        for entry in (item.evidence or {}).get("media") or []:
            if isinstance(entry, dict) and entry.get("sha256") == sha256:
                data = storage_for(settings).get(db, sha256)
                mime = entry.get("mime")
                shown = mime if mime in EXTENSIONS else "application/octet-stream"
                return (data, shown) if data is not None else None
    return None


def _media_files(db: Session, settings: Settings, evidence: dict[str, Any]) -> dict[str, bytes]:
    """``media/<sha256>.<ext>`` for each file the evidence kept (one copy of each)."""
    storage = storage_for(settings)
    files = {}
    for entry in evidence.get("media") or []:
        sha256 = entry.get("sha256") if isinstance(entry, dict) else None
        data = storage.get(db, sha256) if isinstance(sha256, str) else None
        if data is not None:
            files[f"media/{sha256}.{EXTENSIONS.get(entry.get('mime'), 'bin')}"] = data
    return files


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _safe(name: str) -> str:
    """A path segment that cannot climb out of its folder nor name a device."""
    return UNSAFE.sub("_", name).strip("._") or "_"
