"""Safety invariant 9: no credential in an error, a repr, a traceback or a log line."""

from __future__ import annotations

import logging
import traceback

import pytest

from postgate.platforms.base import ConnectorError
from postgate.platforms.registry import PLATFORMS

from .conftest import CREDENTIALS

CASES = [
    ("mastodon", "mastodon_publish_401_echo.json"),
    ("mastodon", "mastodon_publish_timeout.json"),
    ("bluesky", "bluesky_login_401_echo.json"),
    ("x", "x_publish_401_echo.json"),
    ("webhook", "webhook_publish_401.json"),
]
TEXTS = {
    "mastodon": "Hello & welcome <friends>\nSecond line\n\nRead more https://example.com/launch/2024",
    "bluesky": "Café ouvert ☕ — voir https://example.com/menu?lang=fr. Merci!",
    "x": "Our spring sale starts today!",
    "webhook": "Grüße aus Köln 🎉",
}
KEYS = {"mastodon": "post-42", "bluesky": "post-7", "x": "post-9", "webhook": "post-3"}


@pytest.mark.parametrize(("platform", "recording"), CASES)
def test_errors_and_logs_never_show_a_credential(connect, caplog, platform, recording):
    caplog.set_level(logging.DEBUG)
    connector = connect(platform, recording)

    with pytest.raises(ConnectorError) as caught:
        connector.publish(TEXTS[platform], idempotency_key=KEYS[platform])

    shown = "\n".join(
        [
            str(caught.value),
            repr(caught.value),
            caught.value.message,
            repr(connector),
            str(connector),
            "".join(traceback.format_exception(caught.value)),
            caplog.text,
        ]
    )
    given = CREDENTIALS[platform]
    secrets = [given[f] for f in PLATFORMS[platform].secret_credentials if f in given]
    assert secrets
    for secret in secrets:
        assert secret not in shown
    if "timeout" not in recording:
        assert caplog.records, "httpx logs each request; the filter must redact, not drop"


def test_a_platform_echoing_the_token_is_redacted_not_dropped(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("x", "x_publish_401_echo.json").publish(TEXTS["x"], idempotency_key="post-9")

    assert caught.value.message == "x: HTTP 401: Token [redacted] is not valid"


def test_client_secrets_are_redacted_too(connect):
    connector = connect("mastodon", "mastodon_publish_401.json", client_secret="The access token")

    with pytest.raises(ConnectorError) as caught:
        connector.publish(TEXTS["mastodon"], idempotency_key="post-42")

    assert caught.value.message == "mastodon: HTTP 401: [redacted] is invalid"


def test_the_log_filter_is_removed_on_close(connect):
    before = list(logging.getLogger("httpx").filters)
    connector = connect("webhook", "webhook_verify.json")
    connector.verify_credentials()

    connector.close()

    assert logging.getLogger("httpx").filters == before
