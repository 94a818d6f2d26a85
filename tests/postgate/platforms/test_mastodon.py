"""The Mastodon connector against recorded Mastodon API exchanges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.platforms.base import (
    CredentialsError,
    MalformedResponseError,
    PermanentError,
    RetryableError,
)

from .conftest import NOW, malformed_answers

PUBLISH_TEXT = "Hello & welcome <friends>\nSecond line\n\nRead more https://example.com/launch/2024"


def test_publish_sends_idempotency_key_and_returns_plain_text(connect):
    connector = connect("mastodon", "mastodon_publish.json")

    post = connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert post.remote_id == "112233445566778899"
    assert post.text == PUBLISH_TEXT
    assert post.created_at == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert post.url == "https://mastodon.example/@acme/112233445566778899"


def test_sandbox_uses_the_same_api(connect):
    connector = connect("sandbox", "sandbox_publish.json")

    post = connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert connector.platform == "sandbox"
    assert post.text == PUBLISH_TEXT


def test_invalid_token_is_a_credentials_error(connect):
    connector = connect("mastodon", "mastodon_publish_401.json")

    with pytest.raises(CredentialsError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert caught.value.status == 401
    assert "The access token is invalid" in caught.value.message


def test_validation_failure_is_permanent_and_keeps_the_reason(connect):
    connector = connect("mastodon", "mastodon_publish_422.json")

    with pytest.raises(PermanentError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert not isinstance(caught.value, CredentialsError)
    assert caught.value.status == 422
    assert "character limit of 500 exceeded" in str(caught.value)


def test_server_error_with_html_body_is_retryable_with_unknown_outcome(connect):
    connector = connect("mastodon", "mastodon_publish_503.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert caught.value.status == 503
    assert caught.value.outcome_unknown is True
    assert "Service Unavailable" in caught.value.message


def test_read_timeout_is_retryable_but_may_have_published(connect):
    connector = connect("mastodon", "mastodon_publish_timeout.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert caught.value.outcome_unknown is True
    assert caught.value.status is None
    assert caught.value.__cause__ is None  # the httpx error holds the token-bearing request


def test_connection_refused_is_retryable_and_certainly_not_published(connect):
    connector = connect("mastodon", "mastodon_publish_connect_error.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert caught.value.outcome_unknown is False


def test_rate_limit_waits_until_x_ratelimit_reset_by_the_servers_clock(connect):
    connector = connect("mastodon", "mastodon_publish_429.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert caught.value.status == 429
    assert caught.value.retry_after == pytest.approx(270.0)
    assert caught.value.outcome_unknown is False


def test_retry_after_http_date_takes_precedence_over_reset(connect):
    connector = connect("mastodon", "mastodon_publish_429_retry_after.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert caught.value.retry_after == pytest.approx(75.0)


def test_delete_reports_deleted_then_not_found_for_a_missing_status(connect):
    connector = connect("mastodon", "mastodon_delete.json")

    assert connector.delete("112233445566778899") == "deleted"
    assert connector.delete("100000000000000001") == "not_found"


def test_delete_of_someone_elses_status_raises(connect):
    connector = connect("mastodon", "mastodon_delete_403.json")

    with pytest.raises(PermanentError) as caught:
        connector.delete("555")

    assert caught.value.status == 403


def test_verify_credentials_names_the_account(connect):
    info = connect("mastodon", "mastodon_verify.json").verify_credentials()

    assert (info.remote_id, info.handle) == ("109", "acme")
    assert info.url == "https://mastodon.example/@acme"


def test_list_recent_follows_link_pages_and_stops_at_since(connect):
    connector = connect("mastodon", "mastodon_list.json")
    since = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)

    posts = connector.list_recent(since=since, limit=40)

    assert [p.remote_id for p in posts] == ["105", "104", "103", "102"]
    assert posts[0].text == "Attacker: free crypto at scam.example"
    assert posts[2].text == "Line one\nLine two"
    assert posts[3].text == "Morning \u2013 coffee\u00a0time"
    assert all(p.created_at.tzinfo is not None for p in posts)


def test_list_recent_never_follows_a_link_to_another_host(connect):
    connector = connect("mastodon", "mastodon_list_foreign_link.json")

    posts = connector.list_recent(limit=2)

    assert [p.remote_id for p in posts] == ["9"]  # the recording checks the host


def test_revoke_sends_client_credentials_when_known(connect):
    connector = connect(
        "mastodon",
        "mastodon_revoke.json",
        client_id="app-client-id",
        client_secret="app-client-SECRET",
    )

    assert connector.revoke_credentials() is True


def test_revoke_sends_the_token_alone_without_client_credentials(connect):
    assert connect("mastodon", "mastodon_revoke_token_only.json").revoke_credentials() is True


# --- answers that are 2xx but not what Mastodon documents -----------------------------------


def test_malformed_answers_to_publish_may_have_published(connect):
    """A 2xx to the create may mean the status exists: retryable with an unknown outcome,
    so the worker reads the account back instead of posting again."""
    connector = connect("mastodon", "mastodon_publish_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "with an empty body",
        "with a body that is not JSON (application/json)",
        "with a JSON array instead of a JSON object",
        "without a status id",
        "with a status id that is a JSON object, not a string",
    ]

    errors = malformed_answers(
        lambda: connector.publish(PUBLISH_TEXT, idempotency_key="post-42"), problems
    )

    assert errors[4].message == "mastodon answered 200 to the publish without a status id"
    assert all(isinstance(e, RetryableError) and e.outcome_unknown for e in errors)
    assert all("SECRET" not in e.message and "<html" not in e.message for e in errors)


def test_publish_with_an_id_but_odd_fields_falls_back_to_what_we_sent(connect):
    connector = connect("mastodon", "mastodon_publish_odd_fields.json")

    post = connector.publish(PUBLISH_TEXT, idempotency_key="post-42")

    assert (post.remote_id, post.text, post.url) == ("112233445566778899", PUBLISH_TEXT, None)
    assert post.created_at == NOW  # "yesterday" is not a time: the connector's clock


def test_sandbox_names_itself_in_a_malformed_answer(connect):
    with pytest.raises(MalformedResponseError) as caught:
        connect("sandbox", "sandbox_publish_malformed.json").publish(
            PUBLISH_TEXT, idempotency_key="post-42"
        )

    assert caught.value.message == "sandbox answered 200 to the publish without a status id"
    assert caught.value.outcome_unknown is True


def test_malformed_answers_to_delete_are_retryable_and_say_why(connect):
    connector = connect("mastodon", "mastodon_delete_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "with a JSON array instead of a JSON object",
        "with another status's id",
    ]

    errors = malformed_answers(lambda: connector.delete("112233445566778899"), problems)

    assert not any(e.outcome_unknown for e in errors)
    assert errors[0].message.startswith("mastodon answered 200 to the delete ")
    assert connector.delete("112233445566778899") == "deleted"  # {} from some servers is fine


def test_malformed_answers_to_listing_refuse_the_whole_page(connect):
    connector = connect("mastodon", "mastodon_list_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "with a JSON object instead of an array",
        "with a JSON string instead of a status object",
        "without a status id",
        "with a status created_at that is not an ISO 8601 time",
        "with a status content that is a JSON object, not a string",
        "with a next link that is not a URL",
    ]

    errors = malformed_answers(lambda: connector.list_recent(limit=40), problems)

    assert errors[0].message.startswith("mastodon answered 200 to the listing ")
    assert not any(e.outcome_unknown for e in errors)


def test_malformed_answers_to_verify_credentials(connect):
    connector = connect("mastodon", "mastodon_verify_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "without an account id",
        "with an acct that is a JSON array, not a string",
    ]

    errors = malformed_answers(connector.verify_credentials, problems)

    assert errors[1].message == "mastodon answered 200 to verify_credentials without an account id"


def test_malformed_answers_to_revoke_are_not_taken_for_a_revocation(connect):
    connector = connect("mastodon", "mastodon_revoke_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "with a JSON string instead of a JSON object",
    ]

    errors = malformed_answers(connector.revoke_credentials, problems)

    assert errors[1].message.startswith("mastodon answered 200 to the revocation with a JSON")
    assert connector.revoke_credentials() is True  # an empty 200 is how some servers say {}
