"""Secrets from files (``POSTGATE_*_FILE``) and passwords apart from their URLs, as
compose.yaml gives them; a store and a Redis that require a password are really reached."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis

from postgate.errors import SettingsError
from postgate.settings import load_settings
from tests.conftest import ROOT


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value + "\n")
    return str(path)


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"POSTGATE_INSTANCE": str(tmp_path), **extra}


def test_file_variables_stand_for_their_variables(tmp_path):
    settings = load_settings(
        env=env(
            tmp_path,
            POSTGATE_AUDIT_KEY_FILE=secret(tmp_path, "audit", "an-audit-key"),
            POSTGATE_SECRET_KEYS_FILE=secret(tmp_path, "keys", "k1,k2"),
            POSTGATE_DATABASE_URL_FILE=secret(tmp_path, "db", "postgresql://u:p@db/x"),
        )
    )
    assert settings.audit_key == "an-audit-key", "one trailing newline dropped"
    assert settings.secret_keys == ("k1", "k2")
    assert settings.database_url == "postgresql://u:p@db/x"


def test_passwords_join_their_urls_percent_encoded(tmp_path):
    settings = load_settings(
        env=env(
            tmp_path,
            POSTGATE_DATABASE_URL="postgresql+psycopg://postgate@postgres:5432/postgate",
            POSTGATE_DATABASE_PASSWORD_FILE=secret(tmp_path, "pg", "p@ss/w:rd"),
            POSTGATE_REDIS_URL="redis://redis:6379/0",
            POSTGATE_REDIS_PASSWORD="s3cret",
        )
    )
    assert settings.database_url == (
        "postgresql+psycopg://postgate:p%40ss%2Fw%3Ard@postgres:5432/postgate"
    )
    assert settings.redis_url == "redis://:s3cret@redis:6379/0"
    from sqlalchemy.engine import make_url

    assert make_url(settings.database_url).password == "p@ss/w:rd"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"POSTGATE_AUDIT_KEY": "SECRET-1", "POSTGATE_AUDIT_KEY_FILE": "x"}, "not both"),
        ({"POSTGATE_AUDIT_KEY_FILE": "/nonexistent/key"}, "cannot read /nonexistent/key"),
        (
            {
                "POSTGATE_REDIS_URL": "redis://:SECRET-1@r:6379/0",
                "POSTGATE_REDIS_PASSWORD": "SECRET-2",
            },
            "POSTGATE_REDIS_PASSWORD: the URL holds a password already",
        ),
    ],
)
def test_conflicts_and_unreadable_files_are_named_without_the_secret(tmp_path, extra, message):
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(env=env(tmp_path, **extra))
    assert "SECRET" not in caught.value.message


def test_a_redis_that_requires_a_password_is_reached_with_it(tmp_path, redis_url):
    """A real redis-server with requirepass, the way compose.yaml starts it."""
    import shutil

    from tests.conftest import _free_port, _redis_ok
    from tests.helpers import wait_until

    port = _free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--save", "",
         "--requirepass", "s3cret pass"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"redis://127.0.0.1:{port}/0"
        wait_until(
            lambda: _redis_ok(f"redis://:s3cret%20pass@127.0.0.1:{port}/0"), 10, "redis-server"
        )
        assert not _redis_ok(url), "the server must refuse a client without the password"
        result = subprocess.run(
            [sys.executable, "-m", "postgate", "worker", "--check"],
            env={
                "PATH": "/usr/bin:/bin",
                "POSTGATE_INSTANCE": str(tmp_path),
                "POSTGATE_CONFIG": str(ROOT / "config" / "postgate.toml"),
                "POSTGATE_REDIS_URL": url,
                "POSTGATE_REDIS_PASSWORD_FILE": secret(tmp_path, "redis", "s3cret pass"),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1 and "no heartbeat" in result.stderr
        assert "could not read Redis" not in result.stderr, result.stderr
        assert Redis.from_url(load_settings(env={
            "POSTGATE_INSTANCE": str(tmp_path),
            "POSTGATE_REDIS_URL": url,
            "POSTGATE_REDIS_PASSWORD": "s3cret pass",
        }).redis_url).ping()  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)
