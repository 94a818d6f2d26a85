"""The Bluesky connector against recorded AT Protocol (XRPC) exchanges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.platforms.base import CredentialsError, PermanentError, RetryableError
from postgate.platforms.facets import link_facets

from .conftest import malformed_answers

DID = "did:plc:acme7x2k4q3z5w6y8v9u"
TEXT = "Café ouvert ☕ — voir https://example.com/menu?lang=fr. Merci!"
URI = f"at://{DID}/app.bsky.feed.post/3kqbbwsy5zk2a"


def test_publish_logs_in_and_creates_a_post_record_with_link_facets(connect, replay):
    connector = connect("bluesky", "bluesky_publish.json")

    post = connector.publish(TEXT, idempotency_key="post-7")

    assert post.remote_id == URI
    assert post.text == TEXT
    assert post.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert post.url == "https://bsky.app/profile/acme.bsky.social/post/3kqbbwsy5zk2a"
    assert {r.url.host for r in replay.last.requests} == {"bsky.social"}


def test_facet_offsets_count_utf8_bytes_not_characters():
    text = "é https://a.example/x (see https://b.example/y)"

    facets = link_facets(text)

    spans = [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in facets]
    uris = [f["features"][0]["uri"] for f in facets]
    assert uris == ["https://a.example/x", "https://b.example/y"]
    encoded = text.encode("utf-8")
    assert [encoded[start:end].decode() for start, end in spans] == uris
    assert spans[0] == (3, 22)  # "é " is 3 bytes but 2 characters


def test_url_with_balanced_parentheses_keeps_them():
    facets = link_facets("Read https://en.wikipedia.org/wiki/Café_(disambiguation).")

    assert facets[0]["features"][0]["uri"] == "https://en.wikipedia.org/wiki/Café_(disambiguation)"


def test_expired_access_token_is_refreshed_and_the_call_sent_again(connect):
    connector = connect("bluesky", "bluesky_publish_refresh.json")

    post = connector.publish(TEXT, idempotency_key="post-7")

    assert post.remote_id == URI  # the recording checks the second call used access-2


def test_expired_refresh_token_falls_back_to_a_new_login(connect):
    connector = connect("bluesky", "bluesky_relogin.json")

    assert connector.list_recent() == []


def test_wrong_app_password_is_a_credentials_error(connect):
    connector = connect("bluesky", "bluesky_login_401.json")

    with pytest.raises(CredentialsError) as caught:
        connector.publish(TEXT, idempotency_key="post-7")

    assert caught.value.status == 401
    assert "Invalid identifier or password" in caught.value.message


def test_invalid_record_is_permanent(connect):
    connector = connect("bluesky", "bluesky_publish_invalid.json")

    with pytest.raises(PermanentError) as caught:
        connector.publish(TEXT, idempotency_key="post-7")

    assert not isinstance(caught.value, CredentialsError)
    assert "InvalidRequest" in caught.value.message
    assert "300 graphemes" in caught.value.message


def test_rate_limit_waits_until_ratelimit_reset(connect):
    connector = connect("bluesky", "bluesky_publish_429.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(TEXT, idempotency_key="post-7")

    assert caught.value.retry_after == pytest.approx(300.0)
    assert "RateLimitExceeded" in caught.value.message


def test_bad_gateway_is_retryable(connect):
    connector = connect("bluesky", "bluesky_publish_502.json")

    with pytest.raises(RetryableError) as caught:
        connector.publish(TEXT, idempotency_key="post-7")

    assert caught.value.status == 502
    assert caught.value.outcome_unknown is True


def test_delete_checks_the_record_exists_before_deleting_it(connect):
    connector = connect("bluesky", "bluesky_delete.json")

    assert connector.delete(URI) == "deleted"
    assert connector.delete(f"at://{DID}/app.bsky.feed.post/3kq7aaaaaaa2a") == "not_found"


def test_delete_rejects_an_id_that_is_not_an_at_uri(connect):
    connector = connect("bluesky", "bluesky_verify.json")

    with pytest.raises(PermanentError):
        connector.delete("3kqbbwsy5zk2a")
    connector.verify_credentials()  # use the recording up


def test_list_recent_pages_with_the_cursor_and_stops_at_since(connect):
    connector = connect("bluesky", "bluesky_list.json")

    posts = connector.list_recent(since=datetime(2024, 4, 30, tzinfo=UTC), limit=3)

    assert [p.text for p in posts] == ["Free crypto! https://scam.example", "Launch day"]
    assert posts[0].created_at == datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
    assert posts[1].url == "https://bsky.app/profile/acme.bsky.social/post/3kqa5bbbbbb2a"


def test_verify_credentials_returns_did_and_handle(connect):
    info = connect("bluesky", "bluesky_verify.json").verify_credentials()

    assert (info.remote_id, info.handle) == (DID, "acme.bsky.social")


def test_revoke_deletes_the_session_with_the_refresh_token(connect):
    assert (
        connect("bluesky", "bluesky_revoke.json").revoke_credentials() is False
    )  # session ended; the app password lives


# --- answers that are 2xx but not what the lexicons document --------------------------------


def test_malformed_answers_to_create_record_may_have_published(connect):
    connector = connect("bluesky", "bluesky_publish_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "without a record uri",
        "with a record uri that is not an at:// URI",
        "with a record uri that is a JSON number, not a string",
        "with an empty body",
    ]

    errors = malformed_answers(lambda: connector.publish(TEXT, idempotency_key="post-7"), problems)

    assert errors[1].message == "bluesky answered 200 to createRecord without a record uri"
    assert all(e.outcome_unknown for e in errors)


def test_malformed_login_answer_is_retryable_and_nothing_was_posted(connect):
    """createSession comes before createRecord: a bad answer to it cannot have posted."""
    connector = connect("bluesky", "bluesky_login_malformed.json")
    problems = ["to createSession without accessJwt", "with a body that is not JSON (text/html)"]

    errors = malformed_answers(lambda: connector.publish(TEXT, idempotency_key="post-7"), problems)

    assert not any(e.outcome_unknown for e in errors)
    assert all("SECRET" not in e.message for e in errors)


def test_malformed_answers_to_delete_name_the_call(connect):
    connector = connect("bluesky", "bluesky_delete_malformed.json")
    problems = [
        "to getRecord with a body that is not JSON (text/html)",
        "to getRecord without a record uri",
        "to deleteRecord with a body that is not JSON (text/html)",
    ]

    errors = malformed_answers(lambda: connector.delete(URI), problems)

    assert not any(e.outcome_unknown for e in errors)
    assert connector.delete(URI) == "deleted"  # deleteRecord with no output, as older PDSes


def test_malformed_answers_to_list_records_refuse_the_whole_page(connect):
    connector = connect("bluesky", "bluesky_list_malformed.json")
    problems = [
        "with a body that is not JSON (text/html)",
        "without a records array",
        "without a record uri",
        "with a JSON string instead of a record value",
        "with a record text that is a JSON number, not a string",
        "with a cursor that is a JSON object, not a string",
    ]

    errors = malformed_answers(lambda: connector.list_recent(), problems)

    assert errors[1].message == "bluesky answered 200 to listRecords without a records array"


def test_malformed_answers_to_get_session_and_delete_session(connect):
    verify = connect("bluesky", "bluesky_verify_malformed.json")
    malformed_answers(verify.verify_credentials, ["to getSession without a did"])
    revoke = connect("bluesky", "bluesky_revoke_malformed.json")
    malformed_answers(
        revoke.revoke_credentials, ["to deleteSession with a body that is not JSON (text/html)"]
    )
