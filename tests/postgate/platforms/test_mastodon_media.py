"""The Mastodon connector's images against recorded exchanges shaped like Mastodon's media
API (each recording cites its page): upload, wait for processing, then the status."""

from __future__ import annotations

import pytest

from postgate.platforms.base import PermanentError, RetryableError
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


def test_uploads_wait_for_processing_then_post_with_media_ids(connect):
    connector = connect("mastodon", "mastodon_publish_media.json")
    memo = Memo()
    post = connector.publish(
        "Deux images", idempotency_key="post-42", media=[RED, COLOURS], uploads=memo
    )
    assert post.remote_id == "112233445566778899"
    assert memo.known == {RED.key: "110000001", COLOURS.key: "110000002"}


def test_processing_that_fails_is_permanent_and_posts_nothing(connect):
    connector = connect("mastodon", "mastodon_publish_media_failed.json")
    with pytest.raises(PermanentError):  # the replay fails on any further request
        connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS])


def test_an_image_the_server_refuses_is_permanent(connect):
    connector = connect("mastodon", "mastodon_publish_media_422.json")
    with pytest.raises(PermanentError) as caught:
        connector.publish("Deux images", idempotency_key="k", media=[RED])
    assert "could not be verified" in caught.value.message


def test_a_5xx_while_uploading_is_retryable_with_a_known_outcome(connect):
    connector = connect("mastodon", "mastodon_publish_media_503.json")
    memo = Memo()
    with pytest.raises(RetryableError) as caught:
        connector.publish("Deux images", idempotency_key="k", media=[RED, COLOURS], uploads=memo)
    assert not caught.value.outcome_unknown  # nothing was posted: no read-back needed
    assert memo.known == {RED.key: "110000001"}  # the next attempt reuses it


def test_a_retry_reuses_what_is_still_there_and_uploads_what_vanished(connect):
    connector = connect("mastodon", "mastodon_publish_media_reuse.json")
    memo = Memo({RED.key: "110000001", COLOURS.key: "110000009"})
    post = connector.publish(
        "Deux images", idempotency_key="post-42", media=[RED, COLOURS], uploads=memo
    )
    assert post.remote_id == "112233445566778899"
    assert memo.known[COLOURS.key] == "110000002"


def test_alt_text_is_part_of_what_an_upload_is_remembered_by():
    redescribed = MediaFile(RED.data, RED.mime, RED.sha256, "Autre description", 64, 48, 1)
    assert redescribed.key != RED.key and redescribed.key.startswith(RED.sha256)
