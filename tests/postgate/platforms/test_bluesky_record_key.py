"""Bluesky has no idempotency key: the post's record key is made from Postgate's key and a
time fixed for the revision, so a create sent twice cannot make two records and the
read-back asks for that very record (issue 11). Recorded exchanges cite
https://docs.bsky.app/docs/api/com-atproto-repo-create-record, -get-record and
https://atproto.com/specs/tid; a PDS answers a duplicate record key with 500
(bluesky-social/atproto#3718)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postgate.platforms.base import RetryableError
from postgate.platforms.bluesky import _tid_time, record_key

from .test_bluesky import TEXT

KEY_TIME = datetime(2024, 5, 1, 11, 59, 58, tzinfo=UTC)


def test_a_repeated_create_is_refused_and_the_record_is_found_by_its_key(connect):
    connector = connect("bluesky", "bluesky_publish_rkey.json")
    first = connector.publish(TEXT, idempotency_key="postgate-7-r1", key_time=KEY_TIME)
    assert first.remote_id.endswith("/" + record_key("postgate-7-r1", KEY_TIME))
    with pytest.raises(RetryableError) as caught:  # the same record key again
        connector.publish(TEXT, idempotency_key="postgate-7-r1", key_time=KEY_TIME)
    assert caught.value.outcome_unknown is True
    found = connector.find_by_key("postgate-7-r1", KEY_TIME)
    assert found is not None and found.remote_id == first.remote_id and found.text == TEXT
    assert connector.find_by_key("postgate-7-r1", KEY_TIME) is None  # deleted since


def test_record_keys_are_valid_tids_fixed_per_key_and_distinct_per_post():
    keys = {record_key(f"postgate-{n}-r1", KEY_TIME) for n in range(2000)}
    assert len(keys) == 2000
    assert record_key("postgate-7-r1", KEY_TIME) == record_key("postgate-7-r1", KEY_TIME)
    for key in list(keys)[:50]:
        assert len(key) == 13 and key[0] in "234567abcdefghij"
        assert _tid_time(key).replace(microsecond=0) == KEY_TIME  # the window sees its time


def test_without_a_key_time_nothing_changes(connect):
    connector = connect("bluesky", "bluesky_publish.json")
    connector.publish(TEXT, idempotency_key="post-7")
    assert connector.find_by_key("post-7") is None
