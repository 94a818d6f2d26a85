"""``sandbox`` click commands: against a live server, and their error handling."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sandbox.cli import sandbox
from tests.sandbox.conftest import free_port


@pytest.fixture
def runner(live_url, tmp_path):
    return CliRunner(env={"POSTGATE_SANDBOX_URL": live_url, "POSTGATE_INSTANCE": str(tmp_path)})


def test_post_then_list_json(runner, live_url):
    posted = runner.invoke(sandbox, ["post", "acme", "stolen credentials at work"])
    assert posted.exit_code == 0, posted.output
    status_id, url = posted.output.split()
    assert url == f"{live_url}/@acme/{status_id}"
    listed = runner.invoke(sandbox, ["list", "acme", "--json"])
    assert listed.exit_code == 0
    items = json.loads(listed.output)
    assert [(i["id"], i["text"]) for i in items] == [(status_id, "stolen credentials at work")]
    assert items[0]["created_at"].endswith("Z")


def test_list_plain_and_token(runner):
    runner.invoke(sandbox, ["post", "acme", "one"])
    assert "one" in runner.invoke(sandbox, ["list", "acme"]).output
    token = runner.invoke(sandbox, ["token", "acme"])
    assert token.exit_code == 0 and len(token.output.strip()) > 20


def test_post_blank_text_is_a_one_line_error(runner):
    result = runner.invoke(sandbox, ["post", "acme", "  "])
    assert result.exit_code == 1
    assert "Text can't be blank" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unreachable_sandbox(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner(env={"POSTGATE_SANDBOX_URL": url}).invoke(sandbox, ["list", "acme"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: sandbox not reachable at {url}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--rate-limit", "abc"], "N/SECONDS"),
        (["serve", "--error-rate", "2"], "--error-rate"),
        (["serve", "--latency-ms", "-5"], "--latency-ms"),
        (["serve", "--port", "x"], "--port"),
    ],
)
def test_serve_bad_input(args, message, tmp_path):
    result = CliRunner().invoke(sandbox, [*args, "--data", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.db").exists()


def test_bad_sandbox_url_is_a_usage_error():
    result = CliRunner(env={"POSTGATE_SANDBOX_URL": "ftp://x"}).invoke(sandbox, ["list", "a"])
    assert result.exit_code == 2
    assert "POSTGATE_SANDBOX_URL" in result.output


def test_serve_on_a_busy_port_fails_cleanly(live_url, tmp_path):
    port = live_url.rsplit(":", 1)[1]
    result = CliRunner().invoke(sandbox, ["serve", "--port", port, "--data", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot serve the sandbox")
