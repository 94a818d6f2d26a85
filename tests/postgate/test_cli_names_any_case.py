"""The command line finds accounts and users however their names were typed:
``accounts add victimA`` then ``rules check --account victimA`` checks against that account."""

from __future__ import annotations

from pathlib import Path

from sandbox.server import running_sandbox
from tests.postgate.test_cli import run


def test_account_added_with_capitals_is_found_by_the_same_spelling(rt, env, tmp_path: Path):
    cli_env = {**env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with running_sandbox(tmp_path / "sandbox.db") as url:
        added = run(
            {**cli_env, "POSTGATE_SANDBOX_URL": url},
            "accounts",
            "add",
            "victimA",
            "--platform",
            "sandbox",
            "--window",
            "mon-sun 00:00-23:59",
        )
        assert added.returncode == 0, added.stderr
        assert "connected victima" in added.stdout
        checked = run(cli_env, "rules", "check", "--account", "victimA", "-", stdin="Bonjour\n")
        assert checked.returncode == 0, checked.stderr
        clash = run(
            {**cli_env, "POSTGATE_SANDBOX_URL": url},
            "accounts",
            "add",
            "VICTIMA",
            "--platform",
            "sandbox",
        )
        assert clash.returncode == 1 and "exists already" in clash.stderr
