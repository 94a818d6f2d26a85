"""Backups that restore: a source instance with some history (``history``), a fresh target
instance (``target``) and an archive of the source (``backup_file``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from postgate.backups.take import create_backup
from postgate.store.models import Approval, TakedownItem
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from tests.helpers import approve_post, make_account
from tests.postgate.backup.support import EVIDENCE_TEXT, new_database


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
        approved = approve_post(client, reviewer, made.get_json()["id"])
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


@pytest.fixture
def backup_file(rt, tmp_path) -> Path:
    archive = tmp_path / "backup.tar.gz"
    (rt.settings.instance_path / "media").mkdir(parents=True, exist_ok=True)
    (rt.settings.instance_path / "media" / "x.png").write_bytes(b"\x89PNG fake")
    create_backup(rt, archive)
    return archive
