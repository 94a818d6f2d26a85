"""``accounts add`` stores the app's client pair that revoking a Mastodon token needs."""

from __future__ import annotations

import json

import pytest

from postgate.store.models import Account
from sandbox import client as sandbox
from sandbox.server import running_sandbox
from tests.postgate.test_cli import run

pytestmark = pytest.mark.store_neutral


@pytest.fixture
def sandbox_env(env, tmp_path):
    with running_sandbox(tmp_path / "sandbox.db") as url:
        yield (
            url,
            {**env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "POSTGATE_SANDBOX_URL": url},
        )


def stored(rt, name: str) -> dict[str, str]:
    with rt.store.session() as db:
        account = db.query(Account).filter_by(name=name).one()
        return rt.vault.decrypt_json(account.credentials_enc)


def test_sandbox_accounts_get_the_apps_client_credentials_with_the_token(rt, sandbox_env):
    url, env = sandbox_env
    result = run(env, "accounts", "add", "acme", "--platform", "sandbox")
    assert result.returncode == 0, result.stderr
    credentials = stored(rt, "acme")
    assert set(credentials) == {"token", "client_id", "client_secret"}
    assert sandbox.get_realism(url)["revoke_requires_client"] is True  # so it matters


def test_client_id_and_secret_on_stdin_after_the_token(rt, sandbox_env):
    url, env = sandbox_env
    issued = sandbox.issue_token(url, "acme")
    stdin = f"{issued['access_token']}\n{issued['client_secret']}\n"
    args = ["accounts", "add", "acme", "--platform", "sandbox", "--token-stdin"]
    result = run(
        env, *args, "--client-id", issued["client_id"], "--client-secret-stdin", stdin=stdin
    )
    assert result.returncode == 0, result.stderr
    assert stored(rt, "acme") == {
        "token": issued["access_token"],
        "client_id": issued["client_id"],
        "client_secret": issued["client_secret"],
    }
    assert issued["client_secret"] not in result.stdout + result.stderr


def test_json_credentials_on_stdin(rt, sandbox_env):
    url, env = sandbox_env
    issued = sandbox.issue_token(url, "acme")
    body = {"token": issued["access_token"], "client_id": "id", "client_secret": "secret"}
    args = ["accounts", "add", "acme", "--platform", "sandbox", "--token-stdin"]
    result = run(env, *args, stdin=json.dumps(body))
    assert result.returncode == 0, result.stderr
    assert stored(rt, "acme") == body


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--client-id", "abc"], "", "go together"),
        (["--client-secret-stdin"], "s\n", "go together"),
        (
            ["--token-stdin", "--client-id", "abc", "--client-secret-stdin"],
            "only-one\n",
            "the token, then",
        ),
        (["--client-id", "abc", "--client-secret-stdin"], "a\nb\n", "on one line"),
    ],
)
def test_bad_client_credentials_input_is_a_one_line_error(sandbox_env, args, stdin, message):
    _, env = sandbox_env
    result = run(env, "accounts", "add", "acme", "--platform", "sandbox", *args, stdin=stdin)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr
