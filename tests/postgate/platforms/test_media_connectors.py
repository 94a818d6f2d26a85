"""Bluesky, X and the webhook publish images against recorded exchanges shaped like their
documentation (each exchange cites its page): uploads first, then the post naming them,
nothing posted when an upload fails."""

from __future__ import annotations

import pytest

from postgate.platforms.base import PermanentError
from postgate.platforms.media import MediaFile
from tests import images

RED = MediaFile(images.png(), "image/png", "a" * 64, "Un carré rouge", 64, 48, 1)
COLOURS = MediaFile(images.gif(), "image/gif", "b" * 64, "Trois couleurs", 64, 48, 2)


class Memo:
    def __init__(self, known: dict[str, str] | None = None) -> None:
        self.known = dict(known or {})

    def get(self, key: str) -> str | None:
        return self.known.get(key)

    def put(self, key: str, reference: str) -> None:
        self.known[key] = reference


def test_bluesky_uploads_blobs_and_embeds_them_with_alt_and_aspect_ratio(connect):
    connector = connect("bluesky", "bluesky_publish_media.json")
    post = connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS])
    assert post.remote_id.startswith("at://") and post.remote_id.endswith("/3kqbbwsy5zk2a")


def test_bluesky_refused_blob_posts_nothing(connect):
    connector = connect("bluesky", "bluesky_publish_media_400.json")
    with pytest.raises(PermanentError) as caught:
        connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS])
    assert "too large" in caught.value.message


def test_bluesky_refuses_an_image_over_its_size_limit_before_sending(connect):
    big = MediaFile(b"\x89PNG" + b"0" * 1_000_000, "image/png", "c" * 64, "x", 10, 10, 3)
    connector = connect("bluesky", "bluesky_login_only.json")
    with pytest.raises(PermanentError) as caught:
        connector.publish("Trop lourd", idempotency_key="k", media=[big])
    assert "1000000" in caught.value.message


def test_x_uploads_describes_then_tweets_with_media_ids(connect):
    connector = connect("x", "x_publish_media.json")
    memo = Memo()
    post = connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo)
    assert post.remote_id == "1785627371840028672"
    assert memo.known == {RED.key: "1880028106020515840", COLOURS.key: "1880028106020515841"}


def test_x_retry_reuses_the_remembered_upload(connect):
    connector = connect("x", "x_publish_media_reuse.json")
    memo = Memo({RED.key: "1880028106020515840"})
    connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo)


def test_x_refused_upload_is_permanent_and_posts_nothing(connect):
    connector = connect("x", "x_publish_media_400.json")
    with pytest.raises(PermanentError) as caught:
        connector.publish("Deux images", idempotency_key="k", media=[RED])
    assert "media type unrecognized" in caught.value.message or caught.value.status == 400


def test_webhook_sends_each_images_hash_and_link(connect):
    connector = connect("webhook", "webhook_publish_media.json")
    image = MediaFile(
        images.png(),
        "image/png",
        "a" * 64,
        "Un carré rouge",
        64,
        48,
        1,
        download_url="https://postgate.example/media/download/1?expires=1714651200&sig=abc",
        download_expires="2024-05-02T12:00:00+00:00",
    )
    post = connector.publish("Deux images", idempotency_key="post-3", media=[image])
    assert post.remote_id == "wh-1"


def test_webhook_without_a_public_url_refuses_images(connect):
    connector = connect("webhook", "bluesky_login_only.json")  # nothing may be sent
    image = MediaFile(images.png(), "image/png", "a" * 64, "x", 64, 48, 1)
    with pytest.raises(PermanentError) as caught:
        connector.publish("Deux images", idempotency_key="post-3", media=[image])
    assert "public_url" in caught.value.message
