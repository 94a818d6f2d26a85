"""A takedown's evidence as one ZIP archive, for lawyers and the platform's abuse team.

The archive holds, for every post the takedown found, its item as the API shows it (origin,
outcome, reason) with the evidence stored before anything was changed: the text, times,
visibility and the platform's full record of the post (``platform_record``). It also holds
the incident report (JSON and Markdown) and ``manifest.json``, which lists the SHA-256 of
every other file, so a recipient can check nothing was altered since the export.
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

from postgate.services.incident import incident_report, report_markdown
from postgate.services.takedown_view import item_to_dict, load_takedown
from postgate.services.takedown_windows import account_names

MANIFEST = "manifest.json"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def evidence_archive(db: Session, takedown_id: int) -> bytes:
    """The ZIP's bytes; NotFound for an unknown takedown."""
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


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _safe(name: str) -> str:
    """A path segment that cannot climb out of its folder nor name a device."""
    return UNSAFE.sub("_", name).strip("._") or "_"
