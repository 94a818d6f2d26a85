"""The Facebook Page connector against recorded Graph API exchanges (each cites its page)."""

from __future__ import annotations

import pytest

from postgate.platforms.base import (
    CredentialsError,
    MalformedResponseError,
    PermanentError,
    RetryableError,
)

from .conftest import NOW, malformed_answers
from .test_media_connectors import COLOURS, RED, Memo

TEXT = "Our spring sale starts today!"
PAGE = "104857600123456"


def test_publish_posts_on_the_page_feed_with_the_page_token(connect, replay):
    post = connect("facebook", "facebook_publish.json").publish(TEXT, idempotency_key="k")

    assert post.remote_id == f"{PAGE}_122145387650001"
    assert post.text == TEXT and post.created_at == NOW
    assert post.url == f"https://www.facebook.com/{PAGE}_122145387650001"
    assert replay.last.requests[0].url.host == "graph.facebook.com"
    assert "access_token" not in str(replay.last.requests[0].url)  # never in a URL


def test_the_page_token_is_derived_from_the_user_token_and_redacted(connect):
    connector = connect("facebook", "facebook_publish_page_token.json", page_access_token="")

    connector.publish(TEXT, idempotency_key="k")

    assert connector._redact("EAAG-page-token-SECRET-2222") == "[redacted]"


def test_images_are_unpublished_photos_attached_to_the_post(connect):
    memo = Memo()
    connector = connect("facebook", "facebook_publish_media.json")

    post = connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo)

    assert post.remote_id == f"{PAGE}_122145387650002"
    assert memo.known == {RED.key: "122145387660001", COLOURS.key: "122145387660002"}


def test_a_refused_photo_posts_nothing_and_is_no_unknown_outcome(connect):
    connector = connect("facebook", "facebook_publish_media_400.json")
    with pytest.raises(PermanentError) as caught:
        connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS])
    assert "(#324) Requires upload file (code 324)" in caught.value.message


def test_page_rate_limit_waits_as_the_business_use_case_header_says(connect):
    with pytest.raises(RetryableError) as caught:
        connect("facebook", "facebook_publish_rate_limited.json").publish(TEXT, idempotency_key="k")

    assert caught.value.status == 400 and not caught.value.outcome_unknown
    assert caught.value.retry_after == pytest.approx(15 * 60)
    assert "Page request limit reached (code 32)" in caught.value.message


def test_app_rate_limit_without_an_estimate_waits_a_minute(connect):
    """A 400 with no wait would read as an ordinary failure to the takedown's pacer."""
    with pytest.raises(RetryableError) as caught:
        connect("facebook", "facebook_publish_app_limit.json").publish(TEXT, idempotency_key="k")
    assert caught.value.retry_after == 60 and "(code 4)" in caught.value.message


def test_policy_block_waits_an_hour(connect):
    with pytest.raises(RetryableError) as caught:
        connect("facebook", "facebook_publish_policy_block.json").publish(TEXT, idempotency_key="k")
    assert caught.value.retry_after == 3600 and "code 368, subcode 1390008" in caught.value.message


def test_expired_token_is_a_credentials_error_in_metas_words(connect):
    connector = connect("facebook", "facebook_publish_token_expired.json", page_access_token="")
    with pytest.raises(CredentialsError) as caught:
        connector.publish(TEXT, idempotency_key="k")
    assert "Session has expired" in caught.value.message
    assert "(code 190, subcode 463)" in caught.value.message
    assert "SECRET" not in caught.value.message


def test_transient_server_error_is_retryable_with_an_unknown_outcome(connect):
    with pytest.raises(RetryableError) as caught:
        connect("facebook", "facebook_publish_transient.json").publish(TEXT, idempotency_key="k")
    assert caught.value.outcome_unknown and caught.value.status == 500


@pytest.mark.parametrize(
    ("recording", "words"),
    [
        ("facebook_publish_invalid.json", "(#100) Invalid parameter (code 100)"),
        ("facebook_publish_permission.json", "hasn't authorized the application"),
    ],
)
def test_invalid_or_forbidden_is_permanent(connect, recording, words):
    with pytest.raises(PermanentError) as caught:
        connect("facebook", recording).publish(TEXT, idempotency_key="k")
    assert not isinstance(caught.value, CredentialsError | RetryableError)
    assert words in caught.value.message


def test_malformed_answers_to_the_publish_leave_the_outcome_unknown(connect):
    connector = connect("facebook", "facebook_publish_malformed.json")
    errors = malformed_answers(
        lambda: connector.publish(TEXT, idempotency_key="k"),
        ["without an id", "with a body that is not JSON (text/html)"],
    )
    assert all(isinstance(e, MalformedResponseError) and e.outcome_unknown for e in errors)


def test_delete_then_already_gone(connect):
    connector = connect("facebook", "facebook_delete.json")
    assert connector.delete(f"{PAGE}_122145387650001") == "deleted"
    assert connector.delete(f"{PAGE}_122145387650001") == "not_found"


def test_list_pages_through_published_posts(connect):
    posts = connect("facebook", "facebook_list.json").list_recent(limit=None)

    assert [p.remote_id[-1] for p in posts] == ["3", "2", "1"]
    assert posts[0].url == "https://www.facebook.com/acme/posts/pfbid03abc"
    assert posts[0].created_at.isoformat() == "2024-05-01T11:30:00+00:00"
    assert posts[0].raw is not None and posts[0].raw["message"].startswith("Spring sale")


def test_verify_names_the_page(connect):
    account = connect("facebook", "facebook_verify.json").verify_credentials()
    assert (account.remote_id, account.handle) == (PAGE, "Acme")
    assert account.url == "https://www.facebook.com/acme"


def test_revoke_removes_the_apps_permissions(connect):
    assert connect("facebook", "facebook_revoke.json").revoke_credentials() is True
