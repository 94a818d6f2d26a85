"""``postgate sandbox post`` as an attacker with the token uses it: hidden posts and edits."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sandbox.cli import sandbox


@pytest.fixture
def runner(live_url, tmp_path):
    return CliRunner(env={"POSTGATE_SANDBOX_URL": live_url, "POSTGATE_INSTANCE": str(tmp_path)})


def listed(runner):
    return json.loads(runner.invoke(sandbox, ["list", "acme", "--json"]).output)


def test_followers_only_and_direct_posts(runner):
    for visibility in ("private", "direct"):
        result = runner.invoke(
            sandbox, ["post", "acme", f"{visibility} scam", "--visibility", visibility]
        )
        assert result.exit_code == 0, result.output
    assert [(i["text"], i["visibility"]) for i in listed(runner)] == [
        ("direct scam", "direct"),
        ("private scam", "private"),
    ]
    bad = runner.invoke(sandbox, ["post", "acme", "x", "--visibility", "everyone"])
    assert bad.exit_code == 2 and "--visibility" in bad.output


def test_edit_rewrites_a_post_in_place(runner):
    status_id, _ = runner.invoke(sandbox, ["post", "acme", "approved text"]).output.split()
    result = runner.invoke(
        sandbox, ["post", "acme", "rewritten by the attacker", "--edit", status_id]
    )
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] == status_id
    (item,) = listed(runner)
    assert item["text"] == "rewritten by the attacker" and item["edited_at"] >= item["created_at"]
    missing = runner.invoke(sandbox, ["post", "acme", "x", "--edit", "12345"])
    assert missing.exit_code == 1 and "Record not found" in missing.output


def test_serve_deletion_limit_option_is_checked():
    result = CliRunner().invoke(sandbox, ["serve", "--deletion-limit", "lots"])
    assert result.exit_code == 2 and "--deletion-limit" in result.output
