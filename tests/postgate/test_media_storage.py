"""The two media backends: content-addressed by SHA-256, the same bytes stored once, on
SQLite and PostgreSQL (the store backend) and in a folder (the directory backend)."""

from __future__ import annotations

import hashlib

import pytest

from postgate.errors import SettingsError
from postgate.media.config import media_settings
from postgate.media.storage import DirectoryBackend, StoreBackend, storage_from
from tests import images


def test_store_backend_round_trip_on_both_databases(any_rt):
    data = images.png()
    backend = StoreBackend()
    with any_rt.store.transaction() as db:
        digest = backend.put(db, data)
        assert backend.put(db, data) == digest  # stored once
    with any_rt.store.session() as db:
        assert backend.get(db, digest) == data
        assert backend.get(db, "0" * 64) is None
        assert backend.get(db, "../../etc/passwd") is None
    assert digest == hashlib.sha256(data).hexdigest()


def test_directory_backend_names_files_by_sha256(tmp_path):
    backend = DirectoryBackend(tmp_path / "media")
    data = images.gif()
    digest = backend.put(None, data)  # type: ignore[arg-type]
    path = tmp_path / "media" / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == data
    assert backend.get(None, digest) == data  # type: ignore[arg-type]
    assert backend.get(None, "f" * 64) is None  # type: ignore[arg-type]
    assert backend.get(None, "../secret") is None  # type: ignore[arg-type]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".upload-")]


def test_settings_choose_the_backend(rt, tmp_path):
    assert media_settings(rt.settings).storage.name == "store"
    chosen = storage_from({"backend": "directory", "directory": str(tmp_path)}, tmp_path)
    assert isinstance(chosen, DirectoryBackend) and chosen.root == tmp_path
    relative = storage_from({"backend": "directory", "directory": "shared"}, tmp_path)
    assert relative.root == tmp_path / "shared"  # type: ignore[attr-defined]
    with pytest.raises(SettingsError):
        storage_from({"backend": "s3"}, tmp_path)
    bad = rt.settings.with_overrides(extra={"media": {"max_bytes": "lots"}})
    with pytest.raises(SettingsError):
        media_settings(bad)


def test_upload_through_the_directory_backend(rt, actors, tmp_path):
    """The web app writes to the folder; what it serves back comes from there."""
    import io

    from gateway import create_app
    from postgate.store.models import MediaBlob
    from tests.helpers import make_account

    make_account(rt, "acme")
    folder = tmp_path / "shared-volume"
    extra = {**rt.settings.extra, "media": {"backend": "directory", "directory": str(folder)}}
    client = create_app({"TESTING": True}, settings=rt.settings.with_overrides(extra=extra))
    client = client.test_client()
    actors.client = client
    author = actors.person("alice", "author")
    sent = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(images.jpeg()), "a.jpg")},
        headers=author.headers,
        content_type="multipart/form-data",
    ).get_json()
    digest = sent["sha256"]
    assert (folder / digest[:2] / digest[2:4] / digest).exists()
    with rt.store.session() as db:
        assert db.get(MediaBlob, digest) is None  # not in the store
    served = client.get(f"/api/v1/media/{sent['id']}/file", headers=author.headers)
    assert hashlib.sha256(served.get_data()).hexdigest() == digest
