"""Bluesky posts carry mention and hashtag facets, not only links (issue 11).

Shaped like https://docs.bsky.app/docs/advanced-guides/post-richtext (facets with UTF-8
byte offsets; a mention names a DID) and
https://docs.bsky.app/docs/api/com-atproto-identity-resolve-handle (400 when a handle does
not resolve).
"""

from __future__ import annotations

import pytest

from postgate.platforms.facets import mention_handles, rich_text_facets

TEXT = "Bravo @team.bsky.social et @nobody.example ! #Lancement https://acme.fr/x"


def test_mentions_are_resolved_to_dids_and_tags_marked(connect, replay):
    connector = connect("bluesky", "bluesky_publish_mentions.json")
    post = connector.publish(TEXT, idempotency_key="post-7")
    assert post.text == TEXT
    handles = [r.url.params.get("handle") for r in replay.last.requests[1:3]]
    assert handles == ["team.bsky.social", "nobody.example"]


def test_a_resolver_failure_other_than_400_stops_before_the_create(connect):
    from postgate.platforms.base import RetryableError

    connector = connect("bluesky", "bluesky_publish_resolve_502.json")
    with pytest.raises(RetryableError) as caught:
        connector.publish("Salut @team.bsky.social", idempotency_key="post-7")
    assert caught.value.outcome_unknown is False  # nothing was posted: a plain retry


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#promo, et #été!", ["promo", "été"]),
        ("#2026 seul, #2026soldes", ["2026soldes"]),
        ("https://acme.fr/#ancre et a#b", []),
        ("#" + "x" * 65, []),
    ],
)
def test_hashtags_follow_blueskys_rules(text, tags):
    found = [
        f["features"][0]["tag"] for f in rich_text_facets(text, {}) if "tag" in f["features"][0]
    ]
    assert found == tags


def test_mentions_need_a_handle_shaped_name_and_stay_text_when_unresolved():
    text = "mail a@b.example, @solo, (@Amis.bsky.social) @team.bsky.social."
    assert mention_handles(text) == ["amis.bsky.social", "team.bsky.social"]
    facets = rich_text_facets(text, {"team.bsky.social": "did:plc:t"})
    assert [f["features"][0].get("did") for f in facets] == ["did:plc:t"]
    start = text.index("@team")
    assert facets[0]["index"] == {"byteStart": start, "byteEnd": start + len("@team.bsky.social")}
