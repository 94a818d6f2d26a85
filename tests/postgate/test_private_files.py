"""The instance folder and everything Postgate writes in it are private to its user: another
account on the machine can read neither the store (password hashes, encrypted secrets,
evidence) nor the keys that open it, nor the audit checkpoints."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.conftest import _runtime, make_env
from tests.postgate.test_audit import append


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_its_store_keys_and_checkpoints_are_created_private(
    tmp_path, redis_url, redis
) -> None:
    previous = os.umask(0o022)  # the usual default, which would leave files world-readable
    try:
        instance = tmp_path / "instance"
        env = make_env(tmp_path, f"sqlite:///{instance / 'postgate.db'}", redis_url)
        rt = _runtime(env)
        append(rt, 3)
        with rt.store.session() as db:  # keep a connection open: the -wal and -shm files stay
            db.connection()
            files = sorted(p for p in instance.rglob("*"))
            assert {p.name for p in files} >= {
                "postgate.db",
                "postgate.db-wal",
                "postgate.db-shm",
                "secret.keys",
                "audit.key",
                "web.key",
                "audit-checkpoints.jsonl",
            }
            modes = {str(p.relative_to(tmp_path)): mode(p) for p in [instance, *files]}
    finally:
        os.umask(previous)
        rt.store.dispose()
    expected = {name: 0o700 if (tmp_path / name).is_dir() else 0o600 for name in modes}
    assert modes == expected
