"""A backup carries the images of the directory media backend, wherever its folder is (a
shared volume outside the instance, ``[media] directory``), and a restore puts them back
where the restored instance's backend reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

from postgate.backups.restore import restore_backup
from postgate.backups.take import create_backup
from postgate.media.config import storage_for
from postgate.runtime import Runtime
from postgate.services.setup import init_store
from postgate.settings import load_settings
from tests.conftest import ROOT
from tests.images import jpeg, png
from tests.postgate.backup.support import new_database


def directory_settings(folder: Path, media: Path) -> Path:
    """The shipped settings with the directory backend on ``media``."""
    text = (ROOT / "config" / "postgate.toml").read_text()
    text = text.replace('"rules.toml"', f'"{ROOT / "config" / "rules.toml"}"')
    text = text.replace('"catalog.csv"', f'"{ROOT / "config" / "catalog.csv"}"')
    text = text.replace('backend = "store"', f'backend = "directory"\ndirectory = "{media}"')
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "postgate.toml").write_text(text)
    return folder / "postgate.toml"


def instance(env: dict[str, str], folder: Path, media: Path) -> Runtime:
    config = directory_settings(folder / "config", media)
    rt = Runtime(load_settings(env={**env, "POSTGATE_CONFIG": str(config)}))
    init_store(rt)
    return rt


def restored_instance(env: dict[str, str], database_url: str, tmp_path: Path):
    """A fresh instance holding a copy of the source's keys, its own database (as the
    ``target`` fixture, made once the source exists); and the dropper of its database."""
    folder = tmp_path / "restored"
    shutil.copytree(Path(env["POSTGATE_INSTANCE"]) / "keys", folder / "keys")
    dropped = None
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{folder / 'postgate.db'}"
    else:
        url, dropped = new_database(database_url, with_schema=True)
    return {**env, "POSTGATE_INSTANCE": str(folder), "POSTGATE_DATABASE_URL": url}, dropped


def test_directory_media_outside_the_instance_are_backed_up_and_restored(
    env, database_url, tmp_path
):
    source = instance(env, tmp_path / "source", tmp_path / "volume-a")
    assert storage_for(source.settings).name == "directory"
    images = [png(metadata=False), jpeg(exif=False)]
    with source.store.transaction() as db:
        names = [storage_for(source.settings).put(db, data) for data in images]
    archive = tmp_path / "backup.tar.gz"
    manifest = create_backup(source, archive)
    assert manifest["media_files"] == 2
    source.store.dispose()

    target, drop = restored_instance(env, database_url, tmp_path)
    try:
        restored = instance(target, tmp_path / "target", tmp_path / "volume-b")
        restore_backup(restored, archive)
        with restored.store.session() as db:
            back = [storage_for(restored.settings).get(db, name) for name in names]
        restored.store.dispose()
    finally:
        if drop:
            drop()
    assert back == images
    assert sorted(p.name for p in (tmp_path / "volume-b").rglob("*") if p.is_file()) == sorted(
        names
    )
