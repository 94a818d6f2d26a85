"""The LinkedIn connector against recorded Posts and Images API exchanges (each cites its page)."""

from __future__ import annotations

import pytest

from postgate.platforms import linkedin
from postgate.platforms.base import CredentialsError, PermanentError, RetryableError

from .conftest import malformed_answers
from .test_instagram import COLOURS, RED
from .test_media_connectors import Memo

TEXT = "Our spring sale starts today!"


def test_publish_escapes_little_text_and_reads_the_urn_from_the_header(connect, replay):
    post = connect("linkedin", "linkedin_publish.json").publish(
        "Spring sale (20% off) #spring @acme", idempotency_key="k"
    )

    assert post.remote_id == "urn:li:share:6844785523593134080"
    assert post.text == "Spring sale (20% off) #spring @acme"
    assert post.url == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/"
    assert replay.last.requests[0].url.host == "api.linkedin.com"


def test_images_are_uploaded_then_named_by_the_post(connect):
    memo = Memo()
    post = connect("linkedin", "linkedin_publish_media.json").publish(
        "Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo
    )
    assert post.remote_id.endswith("081")
    assert memo.known == {
        RED.key: "urn:li:image:D4E10AQGRed01",
        COLOURS.key: "urn:li:image:D4E10AQGCol02",
    }


def test_one_image_is_content_media(connect):
    post = connect("linkedin", "linkedin_publish_one_image.json").publish(
        "Une image", idempotency_key="k", media=[RED]
    )
    assert post.remote_id.endswith("082")


def test_a_failed_image_upload_is_no_unknown_outcome(connect):
    with pytest.raises(RetryableError) as caught:
        connect("linkedin", "linkedin_publish_image_500.json").publish(
            "Une image", idempotency_key="k", media=[RED]
        )
    assert not caught.value.outcome_unknown


def test_daily_throttle_is_retryable_in_linkedins_words(connect):
    with pytest.raises(RetryableError) as caught:
        connect("linkedin", "linkedin_publish_429.json").publish(TEXT, idempotency_key="k")
    assert caught.value.status == 429
    assert (
        "APPLICATION DAY limit" in caught.value.message
        and "(TOO_MANY_REQUESTS)" in caught.value.message
    )


def test_revoked_token_is_a_credentials_error(connect):
    with pytest.raises(CredentialsError) as caught:
        connect("linkedin", "linkedin_publish_401.json").publish(TEXT, idempotency_key="k")
    assert "revoked by the user (REVOKED_ACCESS_TOKEN)" in caught.value.message


@pytest.mark.parametrize(
    ("recording", "words"),
    [
        ("linkedin_publish_403.json", "Not enough permissions"),
        ("linkedin_publish_422.json", "duplicate"),
    ],
)
def test_forbidden_or_duplicate_is_permanent(connect, recording, words):
    with pytest.raises(PermanentError) as caught:
        connect("linkedin", recording).publish(TEXT, idempotency_key="k")
    assert not isinstance(caught.value, CredentialsError) and words in caught.value.message


def test_a_created_post_without_its_urn_leaves_the_outcome_unknown(connect):
    connector = connect("linkedin", "linkedin_publish_malformed.json")
    [error] = malformed_answers(
        lambda: connector.publish(TEXT, idempotency_key="k"),
        ["without the post's URN in x-restli-id"],
        status=201,
    )
    assert error.outcome_unknown


def test_delete_then_already_gone(connect, replay):
    connector = connect("linkedin", "linkedin_delete.json")
    assert connector.delete("urn:li:share:6844785523593134080") == "deleted"
    assert connector.delete("urn:li:share:6844785523593134080") == "not_found"
    # the URN travels URL-encoded, as one path segment
    assert replay.last.requests[0].url.raw_path.endswith(b"/urn%3Ali%3Ashare%3A6844785523593134080")


def test_list_pages_by_author_and_reads_little_text_back(connect, monkeypatch):
    monkeypatch.setattr(linkedin, "MAX_PAGE", 2)
    posts = connect("linkedin", "linkedin_list.json").list_recent(limit=None)

    assert [p.remote_id[-1] for p in posts] == ["2", "1", "0"]
    assert posts[0].text == "Spring sale (20% off) #spring @Acme"
    assert posts[0].created_at.isoformat() == "2024-05-01T11:59:00+00:00"
    assert posts[1].visibility == "LOGGED_IN"


def test_malformed_listings_are_refused(connect):
    connector = connect("linkedin", "linkedin_list_malformed.json")
    malformed_answers(
        lambda: connector.list_recent(),
        [
            "with elements that are a JSON object",
            "with a createdAt that is not a number of milliseconds",
        ],
    )


def test_verify_names_the_organisation(connect):
    account = connect("linkedin", "linkedin_verify.json").verify_credentials()
    assert (account.remote_id, account.handle) == ("urn:li:organization:2414183", "Acme")
    assert account.url == "https://www.linkedin.com/company/acme/"


def test_revoke_needs_the_apps_pair(connect):
    assert connect("linkedin", "linkedin_none.json").revoke_credentials() is False
    connector = connect(
        "linkedin",
        "linkedin_revoke.json",
        client_id="86abc123def456",
        client_secret="li-app-SECRET-8888",
    )
    assert connector.revoke_credentials() is True


def test_little_text_round_trip():
    text = r"a|b{c}@d[e](f)<g>#h\i*j_k~l"
    assert linkedin.unescape(linkedin.escape(text)) == text
