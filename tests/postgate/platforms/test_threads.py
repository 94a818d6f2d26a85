"""The Threads connector against recorded Threads API exchanges (each cites its page)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.platforms.base import CredentialsError, RetryableError

from .test_instagram import COLOURS, RED
from .test_media_connectors import Memo

TEXT = "Our spring sale starts today!"


def test_publish_text_creates_then_publishes_a_container(connect, replay):
    post = connect("threads", "threads_publish.json").publish(TEXT, idempotency_key="k")

    assert post.remote_id == "18050206876707110"
    assert post.url == "https://www.threads.net/@acme/post/C6abcDEF"
    assert replay.last.requests[0].url.host == "graph.threads.net"


def test_publish_one_image(connect):
    post = connect("threads", "threads_publish_image.json").publish(
        "Une image", idempotency_key="k", media=[RED]
    )
    assert post.remote_id == "18050206876707110"


def test_several_images_make_a_carousel_of_remembered_items(connect):
    memo = Memo()
    connect("threads", "threads_publish_carousel.json").publish(
        "Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo
    )
    assert memo.known == {RED.key: "17889615691921649", COLOURS.key: "17889615691921650"}


def test_the_publishing_limit_is_retryable(connect):
    with pytest.raises(RetryableError) as caught:
        connect("threads", "threads_publish_limit.json").publish(TEXT, idempotency_key="k")
    assert "Application request limit reached (code 4, subcode 2207051)" in caught.value.message


def test_a_lost_publish_answer_leaves_the_outcome_unknown(connect):
    with pytest.raises(RetryableError) as caught:
        connect("threads", "threads_publish_lost.json").publish(TEXT, idempotency_key="k")
    assert caught.value.outcome_unknown


def test_an_invalid_token_is_a_credentials_error(connect):
    with pytest.raises(CredentialsError) as caught:
        connect("threads", "threads_publish_token_invalid.json").publish(TEXT, idempotency_key="k")
    assert "Cannot parse access token" in caught.value.message


def test_delete_then_already_gone_then_the_daily_deletion_limit(connect):
    connector = connect("threads", "threads_delete.json")
    assert connector.delete("18050206876707110") == "deleted"
    assert connector.delete("18050206876707110") == "not_found"
    with pytest.raises(RetryableError):
        connector.delete("18050206876707111")


def test_list_pages_back_to_since(connect):
    since = datetime(2024, 4, 1, tzinfo=UTC)
    posts = connect("threads", "threads_list.json").list_recent(since=since, limit=None)

    assert [p.text for p in posts] == ["Our spring sale starts today! #spring", "Hello Threads"]


def test_verify_names_the_profile(connect):
    account = connect("threads", "threads_verify.json").verify_credentials()
    assert (account.handle, account.url) == ("acme", "https://www.threads.net/@acme")


def test_threads_offers_no_revocation(connect):
    assert connect("threads", "threads_none.json").revoke_credentials() is False


def test_a_container_in_error_is_permanent_in_the_platforms_words(connect):
    from postgate.platforms.base import PermanentError

    with pytest.raises(PermanentError) as caught:
        connect("threads", "threads_publish_media_error.json").publish(
            "Une image", idempotency_key="k", media=[RED]
        )
    assert "FAILED_DOWNLOADING_IMAGE" in caught.value.message
    assert not isinstance(caught.value, RetryableError)
