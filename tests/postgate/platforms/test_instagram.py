"""The Instagram connector against recorded Graph API exchanges (each cites its page)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from postgate.platforms.base import PermanentError, RetryableError

from . import test_media_connectors
from .test_media_connectors import Memo

TEXT = "Our spring sale starts today!"
IG = "17841405822304914"
RED = replace(
    test_media_connectors.RED,
    download_url="https://postgate.example/media/1/aaaaaaaaaaaaaaaa?expires=1714568400&sig=abc",
)
COLOURS = replace(
    test_media_connectors.COLOURS,
    download_url="https://postgate.example/media/2/bbbbbbbbbbbbbbbb?expires=1714568400&sig=def",
)


def test_publish_creates_a_container_then_publishes_it(connect):
    post = connect("instagram", "instagram_publish.json").publish(
        TEXT, idempotency_key="k", media=[RED]
    )
    assert post.remote_id == "17920238422030506"
    assert post.url == "https://www.instagram.com/p/C6abcDEFghi/"


def test_several_images_make_a_carousel_and_a_lost_permalink_is_no_error(connect):
    memo = Memo()
    post = connect("instagram", "instagram_publish_carousel.json").publish(
        "Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo
    )
    assert post.remote_id == "17920238422030506" and post.url is None
    assert memo.known == {RED.key: "17889455560051445", COLOURS.key: "17889455560051446"}


def test_a_post_without_an_image_is_refused_before_any_call(connect):
    with pytest.raises(PermanentError, match="needs at least one image"):
        connect("instagram", "instagram_none.json").publish(TEXT, idempotency_key="k")


def test_images_need_a_public_address(connect):
    private = replace(RED, download_url=None)
    with pytest.raises(PermanentError, match="public_url"):
        connect("instagram", "instagram_none.json").publish(
            TEXT, idempotency_key="k", media=[private]
        )


def test_the_publishing_limit_is_retryable_and_says_so(connect):
    with pytest.raises(RetryableError) as caught:
        connect("instagram", "instagram_publish_limit.json").publish(
            TEXT, idempotency_key="k", media=[RED]
        )
    assert not caught.value.outcome_unknown
    assert "maximum number of posts" in caught.value.message
    assert "(code 9, subcode 2207042)" in caught.value.message


def test_an_image_instagram_cannot_fetch_is_permanent(connect):
    with pytest.raises(PermanentError) as caught:
        connect("instagram", "instagram_publish_unreachable_image.json").publish(
            TEXT, idempotency_key="k", media=[RED]
        )
    assert "could not be fetched" in caught.value.message


def test_delete_then_already_gone_then_without_the_permission(connect):
    connector = connect("instagram", "instagram_delete.json")
    assert connector.delete("17920238422030506") == "deleted"
    assert connector.delete("17920238422030506") == "not_found"
    with pytest.raises(PermanentError) as caught:  # a token without instagram_manage_contents
        connector.delete("17920238422030505")
    assert "(#10) Application does not have permission" in caught.value.message


def test_list_pages_through_the_media(connect):
    posts = connect("instagram", "instagram_list.json").list_recent(limit=None)

    assert [p.remote_id for p in posts] == [
        "17920238422030506",
        "17920238422030505",
        "17920238422030504",
    ]
    assert posts[1].text == ""  # a media without a caption
    assert posts[0].url == "https://www.instagram.com/p/C6abc6/"


def test_verify_names_the_account_and_counts_its_media(connect):
    account = connect("instagram", "instagram_verify.json").verify_credentials()
    assert (account.remote_id, account.handle, account.posts_count) == (IG, "acme", 312)
    assert account.url == "https://www.instagram.com/acme/"


def test_revoke_removes_the_apps_permissions(connect):
    assert connect("instagram", "instagram_revoke.json").revoke_credentials() is True


def test_publish_waits_until_the_container_is_finished(replay):
    from postgate.platforms.instagram import InstagramConnector

    from .conftest import CREDENTIALS

    naps: list[float] = []
    with InstagramConnector(
        base_url=None,
        credentials=CREDENTIALS["instagram"],
        secrets=[CREDENTIALS["instagram"]["access_token"]],
        timeout=5,
        transport=replay("instagram_publish_in_progress.json"),
        sleep=naps.append,
    ) as connector:
        post = connector.publish(TEXT, idempotency_key="k", media=[RED])
    assert post.remote_id == "17920238422030506" and naps == [1.0, 1.0]
