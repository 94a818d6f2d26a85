"""The sandbox behaves like Mastodon: HTML entities, idempotency memory, instance limits.

Shapes follow Mastodon's own code: ``app/lib/text_formatter.rb`` (links, hashtags and
mentions in ``content``), ``app/services/post_status_service.rb`` (an Idempotency-Key is
remembered per account for 3,600 s), ``app/serializers/rest/instance_serializer.rb``
(``configuration.statuses``) and ``StatusLengthValidator`` (URLs count 23, ``@user@host``
counts as ``@user``). Each behaviour can be switched at run time.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from sandbox import client as sandbox_client
from sandbox.cli import sandbox

TEXT = "Merci @team@other.example et @acme ! #Launch2026 https://example.com/a/very/long/path/to/the/announcement"


def post(client, headers, text, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/statuses", data={"status": text}, headers=headers | extra)


def test_content_marks_up_mentions_hashtags_and_links_like_mastodon(client, auth):
    headers = auth("acme")
    status = post(client, headers, TEXT).json
    content = status["content"]
    assert content.startswith("<p>Merci ")
    assert (
        '<span class="h-card" translate="no"><a href="https://other.example/@team" '
        'class="u-url mention">@<span>team</span></a></span>'
    ) in content
    assert "@team@other.example" not in content  # the domain is dropped, as Mastodon does
    assert "@<span>acme</span></a>" in content
    assert (
        '<a href="http://sandbox.test/tags/launch2026" class="mention hashtag" rel="tag">'
        "#<span>Launch2026</span></a>"
    ) in content
    assert (
        '<span class="invisible">https://</span><span class="ellipsis">'
        'example.com/a/very/long/path/t</span><span class="invisible">o/the/announcement</span>'
    ) in content
    assert [m["acct"] for m in status["mentions"]] == ["team@other.example", "acme"]
    assert status["mentions"][0]["username"] == "team"
    assert status["tags"] == [{"name": "launch2026", "url": "http://sandbox.test/tags/launch2026"}]
    assert status["card"]["url"] == "https://example.com/a/very/long/path/to/the/announcement"
    listed = client.get(f"/api/v1/accounts/{status['account']['id']}/statuses").json
    assert listed[0]["content"] == content


def test_a_local_account_named_with_the_servers_host_is_a_local_mention(client, auth):
    auth("team")
    status = post(client, auth("acme"), "Salut @team@sandbox.test").json
    assert [m["acct"] for m in status["mentions"]] == ["team"]
    assert "@<span>team</span>" in status["content"]


def test_unknown_local_mention_stays_text_and_html_is_escaped(client, auth):
    status = post(client, auth("acme"), "Salut @nobody <b>& 'co'</b>").json
    assert status["content"] == "<p>Salut @nobody &lt;b&gt;&amp; &#39;co&#39;&lt;/b&gt;</p>"
    assert status["mentions"] == [] and status["tags"] == [] and status["card"] is None


def test_markup_can_be_switched_off(client, auth):
    assert client.put("/sandbox/behaviour", json={"markup": False}).json["markup"] is False
    status = post(client, auth("acme"), "Hi @team@other.example #tag").json
    assert status["content"] == "<p>Hi @team@other.example #tag</p>"
    assert status["mentions"] == [] and status["tags"] == []


def test_idempotency_key_is_remembered_then_forgotten_or_ignored(client, auth):
    headers = auth("acme")
    first = post(client, headers, "Une fois", key="k1").json
    assert post(client, headers, "Une fois", key="k1").json["id"] == first["id"]
    client.put("/sandbox/behaviour", json={"idempotency": False})
    ignored = post(client, headers, "Une fois", key="k1").json
    assert ignored["id"] != first["id"]
    client.put("/sandbox/behaviour", json={"idempotency": True, "idempotency_ttl_seconds": 1})
    time.sleep(1.1)
    assert post(client, headers, "Une fois", key="k1").json["id"] not in (
        first["id"],
        ignored["id"],
    )


def test_instance_v2_states_the_limits_in_force(client):
    statuses = client.get("/api/v2/instance").json["configuration"]["statuses"]
    assert statuses == {
        "max_characters": 500,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    client.put("/sandbox/behaviour", json={"max_characters": 120})
    instance = client.get("/api/v2/instance").json
    assert instance["configuration"]["statuses"]["max_characters"] == 120
    assert instance["configuration"]["media_attachments"]["image_size_limit"] == 16777216
    assert instance["domain"] == "sandbox.test"


def test_length_is_counted_as_mastodon_counts_it(client, auth):
    headers = auth("acme")
    client.put("/sandbox/behaviour", json={"max_characters": 40})
    # 61 characters as typed; Mastodon counts "@team " + 23 for the URL + " ok" = 32.
    text = "@team@a-very-long-server.example https://example.com/" + "x" * 8 + " ok"
    assert len(text) > 40
    assert post(client, headers, text).status_code == 200
    refused = post(client, headers, "y" * 41)
    assert refused.status_code == 422
    assert refused.json == {"error": "Validation failed: Text character limit of 40 exceeded"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"markup": "yes"}, "markup must be true or false"),
        ({"idempotency_ttl_seconds": 0}, "idempotency_ttl_seconds must be a positive integer"),
        ({"colour": 1}, "unknown behaviour setting: colour"),
    ],
)
def test_bad_behaviour_settings_are_422(client, body, message):
    answer = client.put("/sandbox/behaviour", json=body)
    assert (answer.status_code, answer.json) == (422, {"error": message})
    assert client.put("/sandbox/behaviour", data="x").status_code == 400


def test_cli_switches_behaviour_of_a_running_sandbox(live_url, tmp_path):
    runner = CliRunner(env={"POSTGATE_SANDBOX_URL": live_url, "POSTGATE_INSTANCE": str(tmp_path)})
    result = runner.invoke(sandbox, ["behaviour", "--no-idempotency", "--idempotency-ttl", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["idempotency"] is False
    assert sandbox_client.get_behaviour(live_url)["idempotency_ttl_seconds"] == 5
    shown = json.loads(runner.invoke(sandbox, ["behaviour"]).output)
    assert shown["markup"] is True and shown["idempotency"] is False
    refused = runner.invoke(sandbox, ["behaviour", "--max-characters", "0"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
