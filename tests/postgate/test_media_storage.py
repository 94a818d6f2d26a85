"""The two media backends: content-addressed by SHA-256, the same bytes stored once, on
SQLite and PostgreSQL (the store backend) and in a folder (the directory backend)."""

from __future__ import annotations

import hashlib

import pytest

from postgate.errors import SettingsError
from postgate.media.config import media_settings, storage_for
from postgate.media.storage import DirectoryBackend, StoreBackend
from postgate.settings import load_settings
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
    config = tmp_path / "postgate.toml"
    env = {"POSTGATE_CONFIG": str(config), "POSTGATE_INSTANCE": str(tmp_path / "instance")}
    config.write_text('[media]\nbackend = "directory"\ndirectory = "shared"\nmax_bytes = 1000\n')
    settings = load_settings(env=env)
    chosen = storage_for(settings)
    assert isinstance(chosen, DirectoryBackend) and chosen.root == tmp_path / "shared"
    assert media_settings(settings).max_bytes == 1000
    config.write_text('[media]\nbackend = "directory"\n')
    default = storage_for(load_settings(env=env))
    assert default.root == tmp_path / "instance" / "media"  # type: ignore[attr-defined]
    for bad in ('backend = "s3"', 'max_bytes = "lots"', "ocr_inline_pixels = -1"):
        config.write_text(f"[media]\n{bad}\n")
        with pytest.raises(SettingsError):
            load_settings(env=env)


def test_upload_through_the_directory_backend(rt, actors, tmp_path):
    """The web app writes to the folder; what it serves back comes from there."""
    import io

    from gateway import create_app
    from postgate.store.models import MediaBlob
    from tests.helpers import make_account

    make_account(rt, "acme")
    folder = tmp_path / "shared-volume"
    shared = rt.settings.with_overrides(media_backend="directory", media_directory=folder)
    client = create_app({"TESTING": True}, settings=shared)
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
