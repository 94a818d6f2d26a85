"""The signed webhook connector, checked the way a receiver would check it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from postgate.platforms.base import CredentialsError, MalformedResponseError, RetryableError
from postgate.platforms.webhook import verify_signature

from .conftest import NOW, malformed_answers

SECRET = "whsec-SECRET-9999"
TEXT = "Grüße aus Köln 🎉"


def test_publish_is_signed_so_a_receiver_can_verify_it(connect, replay):
    connector = connect("webhook", "webhook_publish.json")

    post = connector.publish(TEXT, idempotency_key="post-3")

    assert (post.remote_id, post.url) == ("wh-1", "https://intranet.example/posts/wh-1")
    assert post.text == TEXT
    request = replay.last.requests[0]
    timestamp = request.headers["X-Postgate-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256)
    assert request.headers["X-Postgate-Signature"] == "sha256=" + expected.hexdigest()
    assert json.loads(request.content)["text"] == TEXT


def test_verify_signature_rejects_tampering_stale_requests_and_wrong_secrets():
    body = b'{"event":"publish","idempotency_key":"k","text":"hi"}'
    timestamp = str(int(NOW.timestamp()))
    good = (
        "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, "sha256").hexdigest()
    )

    assert verify_signature(SECRET, timestamp, body, good, now=NOW)
    assert not verify_signature(SECRET, timestamp, body.replace(b"hi", b"ho"), good, now=NOW)
    assert not verify_signature("other-secret", timestamp, body, good, now=NOW)
    assert not verify_signature(SECRET, timestamp, body, good, now=NOW + timedelta(minutes=6))
    assert not verify_signature(SECRET, "not-a-number", body, good, now=NOW)


def test_receiver_failure_is_retryable(connect):
    with pytest.raises(RetryableError) as caught:
        connect("webhook", "webhook_publish_500.json").publish(TEXT, idempotency_key="post-3")

    assert caught.value.status == 500
    assert "database down" in caught.value.message


def test_rejected_signature_is_a_credentials_error_without_the_url(connect):
    with pytest.raises(CredentialsError) as caught:
        connect("webhook", "webhook_publish_401.json").publish(TEXT, idempotency_key="post-3")

    assert "HOOK-SECRET-path" not in str(caught.value)
    assert "[redacted]" in str(caught.value)


def test_an_answer_without_an_id_is_a_lost_answer_not_a_failure(connect):
    """The receiver may have stored the post: the worker keeps the claim and sends it again
    under the same idempotency key (which the receiver deduplicates on), never ``failed``."""
    with pytest.raises(MalformedResponseError) as caught:
        connect("webhook", "webhook_publish_no_id.json").publish(TEXT, idempotency_key="post-3")

    assert caught.value.message == "webhook answered 200 to the publish without an id"
    assert caught.value.outcome_unknown is True


def test_malformed_answers_to_publish_never_show_the_url(connect):
    connector = connect("webhook", "webhook_publish_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "with an id that is a JSON object, not a string",
        "with a JSON array instead of a JSON object",
    ]
    statuses = [200, 200, 201]

    for problem, status in zip(problems, statuses, strict=True):
        (error,) = malformed_answers(
            lambda: connector.publish(TEXT, idempotency_key="post-3"), [problem], status=status
        )
        assert error.outcome_unknown is True
        assert "hooks.example" not in error.message


def test_malformed_answers_to_the_ping(connect):
    connector = connect("webhook", "webhook_verify_malformed.json")
    problems = [
        "to the ping with a body that is not JSON (text/html)",
        "to the ping with an id that is a JSON array, not a string",
    ]

    malformed_answers(connector.verify_credentials, problems)
    info = connector.verify_credentials()  # 204 without a body: the body is optional

    assert (info.remote_id, info.handle) == ("webhook", "webhook")


def test_delete_outcomes(connect):
    connector = connect("webhook", "webhook_delete.json")

    assert connector.delete("wh-1") == "deleted"
    assert connector.delete("wh-0") == "not_found"


def test_verify_pings_the_receiver(connect):
    info = connect("webhook", "webhook_verify.json").verify_credentials()

    assert (info.remote_id, info.handle, info.url) == ("intranet", "Acme intranet news", None)


def test_listing_and_revocation_are_unsupported(connect):
    connector = connect("webhook", "webhook_verify.json")
    connector.verify_credentials()  # use the recording up

    assert connector.list_recent() == []
    assert connector.revoke_credentials() is False
