"""The X connector against recorded X API v2 exchanges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.platforms.base import CredentialsError, PermanentError, RetryableError
from postgate.platforms.x import XConnector

from .conftest import NOW, malformed_answers

TEXT = "Our spring sale starts today!"


def test_publish_posts_the_text_with_the_bearer_token(connect, replay):
    connector = connect("x", "x_publish.json")

    post = connector.publish(TEXT, idempotency_key="post-9")

    assert post.remote_id == "1785627371840028672"
    assert post.text == TEXT
    assert post.created_at == NOW
    assert post.url == "https://x.com/i/web/status/1785627371840028672"
    assert replay.last.requests[0].url.host == "api.x.com"


def test_unauthorized_is_a_credentials_error(connect):
    with pytest.raises(CredentialsError) as caught:
        connect("x", "x_publish_401.json").publish(TEXT, idempotency_key="post-9")

    assert caught.value.status == 401


def test_duplicate_content_is_permanent_and_says_so(connect):
    with pytest.raises(PermanentError) as caught:
        connect("x", "x_publish_duplicate.json").publish(TEXT, idempotency_key="post-9")

    assert not isinstance(caught.value, CredentialsError)
    assert caught.value.status == 403
    assert "duplicate content" in caught.value.message


@pytest.mark.parametrize(
    ("recording", "status", "reason"),
    [
        ("x_publish_invalid.json", 400, "One or more parameters"),
        ("x_publish_422.json", 422, "text is not allowed"),
    ],
)
def test_invalid_requests_are_permanent(connect, recording, status, reason):
    with pytest.raises(PermanentError) as caught:
        connect("x", recording).publish(TEXT, idempotency_key="post-9")

    assert caught.value.status == status
    assert reason in caught.value.message


def test_rate_limit_waits_until_x_rate_limit_reset(connect):
    with pytest.raises(RetryableError) as caught:
        connect("x", "x_publish_429.json").publish(TEXT, idempotency_key="post-9")

    assert caught.value.retry_after == pytest.approx(900.0)


def test_rate_limit_without_date_header_uses_the_local_clock(connect):
    with pytest.raises(RetryableError) as caught:
        connect("x", "x_publish_429_no_date.json").publish(TEXT, idempotency_key="post-9")

    assert caught.value.retry_after == pytest.approx(60.0)
    assert "Rate limit exceeded" in caught.value.message


def test_service_unavailable_is_retryable(connect):
    with pytest.raises(RetryableError) as caught:
        connect("x", "x_publish_503.json").publish(TEXT, idempotency_key="post-9")

    assert caught.value.status == 503


def test_delete_outcomes(connect):
    connector = connect("x", "x_delete.json")

    assert connector.delete("1785627371840028672") == "deleted"
    assert connector.delete("1700000000000000000") == "not_found"
    with pytest.raises(PermanentError, match="did not confirm"):
        connector.delete("1785627371840028673")


def test_verify_credentials(connect):
    info = connect("x", "x_verify.json").verify_credentials()

    assert (info.remote_id, info.handle, info.url) == ("2244994945", "acme", "https://x.com/acme")


def test_list_recent_follows_next_token_and_stops_at_since(connect):
    connector = connect("x", "x_list.json")

    posts = connector.list_recent(since=datetime(2024, 5, 1, tzinfo=UTC))

    assert [p.text for p in posts] == [
        "Buy now at https://t.co/abc123",
        "Good morning",
        "Late night",
    ]
    assert posts[2].created_at == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def test_list_recent_asks_for_at_least_five_and_handles_an_empty_timeline(connect):
    assert connect("x", "x_list_empty.json").list_recent(limit=3) == []


def test_revoke_with_a_public_client_sends_client_id_in_the_form(connect):
    connector = connect("x", "x_revoke.json", client_id="x-client-id")

    assert connector.revoke_credentials() is True


def test_revoke_with_a_confidential_client_uses_basic_auth(connect):
    connector = connect(
        "x", "x_revoke_confidential.json", client_id="x-client-id", client_secret="x-client-SECRET"
    )

    assert isinstance(connector, XConnector)
    assert connector.revoke_credentials() is True


# --- answers that are 2xx but not what X API v2 documents -----------------------------------


def test_malformed_answers_to_post_tweets_may_have_published(connect):
    connector = connect("x", "x_publish_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "without a data object",
        "without a data.id",
        "with a data.id that is a JSON array, not a string",
        "with a JSON string instead of a data object",
    ]

    errors = malformed_answers(
        lambda: connector.publish(TEXT, idempotency_key="post-9"), problems, status=201
    )

    assert errors[2].message == "x answered 201 to the publish without a data.id"
    assert all(e.outcome_unknown for e in errors)


def test_malformed_answers_to_delete_are_retryable_not_a_confirmation(connect):
    connector = connect("x", "x_delete_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "without a data object",
        "without a data.deleted true or false",
    ]

    errors = malformed_answers(lambda: connector.delete("1785627371840028672"), problems)

    assert not any(e.outcome_unknown for e in errors)


def test_malformed_answers_to_users_me(connect):
    connector = connect("x", "x_verify_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "to users/me without a data object",
        "to users/me without a data.id",
    ]

    malformed_answers(connector.verify_credentials, problems)


def test_malformed_answers_to_the_timeline_refuse_the_whole_page(connect):
    connector = connect("x", "x_list_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "with data that is a JSON object, not an array",
        "without a tweet created_at",
        "with a tweet created_at that is a JSON number, not a time",
        "with a meta.next_token that is a JSON number, not a string",
    ]

    errors = malformed_answers(lambda: connector.list_recent(), problems)

    assert errors[0].message.startswith("x answered 200 to the timeline ")


def test_revoke_needs_revoked_true(connect):
    connector = connect("x", "x_revoke_malformed.json")
    problems = ["with a body that is not JSON (text/html)", "without revoked true or false"]

    malformed_answers(connector.revoke_credentials, problems)
    with pytest.raises(PermanentError, match="did not confirm the revocation"):
        connector.revoke_credentials()
