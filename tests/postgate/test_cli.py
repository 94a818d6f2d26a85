"""The command line as users run it: a subprocess, one-line errors, JSON output."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from postgate import otp
from sandbox.client import list_live
from sandbox.server import running_sandbox
from tests.helpers import postgate_cli


@pytest.fixture
def cli_env(env: dict, tmp_path: Path) -> dict:
    return {**env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return postgate_cli(list(args), env, stdin=stdin, timeout=60)


def test_init_is_safe_to_run_again(cli_env):
    first = run(cli_env, "init")
    second = run(cli_env, "init")
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    keys = Path(cli_env["POSTGATE_INSTANCE"]) / "keys" / "secret.keys"
    assert keys.stat().st_mode & 0o777 == 0o600


@pytest.mark.store_neutral
def test_help_lists_the_commands_the_packages_above_the_core_plug_in(cli_env):
    result = run(cli_env, "--help")

    assert result.returncode == 0, result.stderr
    commands = result.stdout.split("Commands:")[1].splitlines()
    listed = {line.split()[0] for line in commands if line.strip()}
    assert {"serve", "worker", "reconcile", "sandbox", "users", "up", "init"} <= listed


@pytest.mark.store_neutral
def test_a_core_command_loads_none_of_the_packages_above_the_core(cli_env):
    probe = (
        "import sys\n"
        "from postgate.cli import cli\n"
        "cli.main(['users', '--help'], standalone_mode=False)\n"
        "print(sorted(m for m in ('gateway', 'workers', 'sandbox', 'flask') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=cli_env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_users_add_prints_contract_json_with_generated_password(rt, cli_env):
    result = run(
        cli_env, "users", "add", "alice", "--role", "author", "--role", "reviewer", "--json"
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["username"] == "alice" and body["roles"] == ["author", "reviewer"]
    assert body["otpauth_uri"].startswith("otpauth://totp/") and body["password"]
    otp.matching_step(body["totp_secret"], otp.code_at(body["totp_secret"], otp.current_step()))


def test_users_add_reads_password_from_stdin_and_logs_in(rt, cli_env, client):
    result = run(
        cli_env,
        "users",
        "add",
        "bob",
        "--role",
        "reviewer",
        "--password-stdin",
        "--json",
        stdin="a long enough passphrase\n",
    )
    body = json.loads(result.stdout)
    assert "password" not in body
    code = otp.code_at(body["totp_secret"], otp.current_step())
    response = client.post(
        "/api/v1/session",
        json={"username": "bob", "password": "a long enough passphrase", "otp": code},
    )
    assert response.status_code == 201


@pytest.mark.store_neutral
@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("users", "add", "x", "--role", "author"), None, "user name"),
        (("users", "add", "eve", "--role", "wizard"), None, "unknown role"),
        (("users", "add", "eve", "--role", "author", "--password-stdin"), "short", "12 characters"),
        (("users", "add", "eve", "--role", "author", "--password-stdin"), "password123!", "common"),
        (("accounts", "add", "acme", "--platform", "myspace"), None, "myspace"),
        (
            ("accounts", "add", "acme", "--platform", "sandbox", "--timezone", "Mars/Olympus"),
            None,
            "time zone",
        ),
        (
            ("accounts", "add", "acme", "--platform", "sandbox", "--window", "someday 25:00-26:00"),
            None,
            "window",
        ),
        (
            ("accounts", "add", "acme", "--platform", "sandbox"),
            None,
            "sandbox platform is not reachable",
        ),
    ],
)
def test_bad_input_gives_one_line_error_and_nonzero_exit(rt, cli_env, args, stdin, message):
    result = run(cli_env, *args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_duplicate_user_is_refused(rt, cli_env):
    assert run(cli_env, "users", "add", "carol", "--role", "author").returncode == 0
    again = run(cli_env, "users", "add", "carol", "--role", "author")
    assert again.returncode == 1 and "exists already" in again.stderr


def test_accounts_add_sandbox_gets_a_token_and_verifies_it(rt, cli_env, tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        env = {**cli_env, "POSTGATE_SANDBOX_URL": url}
        result = run(
            env,
            "accounts",
            "add",
            "acme-fr",
            "--platform",
            "sandbox",
            "--timezone",
            "Europe/Paris",
            "--window",
            "mon-fri 08:00-20:00",
            "--approvals",
            "2",
            "--json",
        )
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        assert body["windows"] == ["mon-fri 08:00-20:00"] and body["approvals_required"] == 2
        assert "token" not in result.stdout.lower().replace("has_credentials", "")
        assert list_live(url, "acme-fr") == []


@pytest.mark.store_neutral
def test_accounts_add_refuses_a_token_the_platform_refuses(rt, cli_env, tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        env = {**cli_env, "POSTGATE_SANDBOX_URL": url}
        result = run(
            env,
            "accounts",
            "add",
            "acme",
            "--platform",
            "sandbox",
            "--token-stdin",
            stdin="not-a-real-token\n",
        )
    assert result.returncode == 1 and "refused the credentials" in result.stderr
    assert "not-a-real-token" not in result.stderr


@pytest.mark.store_neutral
def test_accounts_add_without_a_base_url_names_the_option(rt, cli_env):
    args = ("accounts", "add", "brand", "--platform", "mastodon", "--token-stdin")
    result = run(cli_env, *args, stdin="t\n")
    assert result.returncode == 1
    assert "--base-url" in result.stderr and "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr


@pytest.mark.store_neutral
def test_rules_check_exit_code_and_json(rt, cli_env, tmp_path):
    from tests.helpers import make_account

    make_account(rt, "acme")
    clean = run(
        cli_env,
        "rules",
        "check",
        "--account",
        "acme",
        "--json",
        "-",
        stdin="Bonne journée à toutes et à tous !",
    )
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["findings"] == []
    bad = run(
        cli_env,
        "rules",
        "check",
        "--account",
        "acme",
        "--json",
        "-",
        stdin="Payez sur FR76 3000 6000 0112 3456 7890 189, c'est pas une arnaque",
    )
    assert bad.returncode == 1
    findings = json.loads(bad.stdout)["findings"]
    assert {f["severity"] for f in findings} == {"block"} or any(
        f["severity"] == "block" for f in findings
    )


def test_init_demo_creates_users_accounts_and_posts(rt, cli_env, tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        env = {**cli_env, "POSTGATE_SANDBOX_URL": url}
        result = run(env, "init", "--demo")
        assert result.returncode == 0, result.stderr
        assert "postgate demo otp alice" in result.stdout
        again = run(env, "init", "--demo")
        assert again.returncode == 0, again.stderr
    code = run(cli_env, "demo", "otp", "alice")
    assert code.returncode == 0 and len(code.stdout.strip()) == 6
    from sqlalchemy import func, select

    from postgate.store.models import Account, Post, User

    with rt.store.session() as db:
        assert db.scalar(select(func.count(User.id))) == 5
        assert db.scalar(select(func.count(Account.id))) == 2
        assert db.scalar(select(func.count(Post.id))) == 4
        statuses = set(db.scalars(select(Post.status)))
        with_image = [p for p in db.scalars(select(Post)) if p.media]
    assert "blocked" in statuses and "pending_review" in statuses
    assert len(with_image) == 1 and with_image[0].media[0]["alt"]  # one post with an image
    assert with_image[0].status == "pending_review", (with_image[0].reason, with_image[0].findings)


def test_a_command_before_init_says_to_run_init(tmp_path):
    from tests.conftest import make_env

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    env = make_env(fresh, f"sqlite:///{fresh / 'postgate.db'}", "redis://127.0.0.1:1/0")
    result = run(
        {**env, "PATH": "/usr/bin:/bin", "HOME": str(fresh)},
        "users",
        "add",
        "bob",
        "--role",
        "author",
        "--json",
    )
    assert result.returncode == 1
    assert "postgate init" in result.stderr and "unexpected" not in result.stderr
