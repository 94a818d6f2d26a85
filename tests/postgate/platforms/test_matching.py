"""Recognising Postgate's own post however the platform rewrote it (invariant 5, issue 11).

The remote sides are shaped like the platforms' documented answers: Mastodon's Status
(https://docs.joinmastodon.org/entities/Status/, HTML from app/lib/text_formatter.rb), X's
Post with ``entities`` (https://docs.x.com/x-api/fundamentals/data-dictionary) and a Bluesky
post record with facets (https://docs.bsky.app/docs/advanced-guides/post-richtext).
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from postgate.platforms.answers import Answer
from postgate.platforms.base import RemotePost
from postgate.platforms.facets import facet_entities
from postgate.platforms.mastodon import _remote_post
from postgate.platforms.matching import is_same_post, shape_of

APPROVED = (
    "Bienvenue @team@other.example et @acme !\n\n#Lancement "
    "https://acme.fr/annonces/2026/la-grande-nouvelle-du-jour & merci."
)
MASTODON_CONTENT = (
    '<p>Bienvenue <span class="h-card" translate="no"><a href="https://other.example/@team" '
    'class="u-url mention">@<span>team</span></a></span> et <span class="h-card" '
    'translate="no"><a href="https://social.acme.fr/@acme" class="u-url mention">@<span>acme'
    '</span></a></span> !</p><p><a href="https://social.acme.fr/tags/lancement" '
    'class="mention hashtag" rel="tag">#<span>Lancement</span></a> <a href="https://acme.fr/'
    'annonces/2026/la-grande-nouvelle-du-jour" target="_blank" rel="nofollow noopener '
    'noreferrer"><span class="invisible">https://</span><span class="ellipsis">acme.fr/'
    'annonces/2026/la-grande-nouv</span><span class="invisible">elle-du-jour</span></a> '
    "&amp; merci.</p>"
)


def mastodon_status(content: str, mentions: list[str], card_url: str | None = None) -> dict:
    return {
        "id": "113",
        "created_at": "2026-11-30T12:00:00.000Z",
        "url": "https://social.acme.fr/@acme/113",
        "content": content,
        "mentions": [
            {"id": str(i), "username": acct.split("@")[0], "acct": acct, "url": "https://x"}
            for i, acct in enumerate(mentions)
        ],
        "tags": [{"name": "lancement", "url": "https://social.acme.fr/tags/lancement"}],
        "card": {"url": card_url, "title": "acme.fr"} if card_url else None,
        "reblog": None,
    }


def read(status: dict) -> RemotePost:
    response = httpx.Response(200, json=[status], request=httpx.Request("GET", "https://x/"))
    return _remote_post(Answer("mastodon", response, "the listing", str), status)


def test_mastodon_rendering_of_our_post_is_recognised():
    remote = read(mastodon_status(MASTODON_CONTENT, ["team@other.example", "acme"]))
    assert "@team@other.example" not in remote.text  # what broke the old comparison
    assert remote.mentions == ("team@other.example", "acme")
    assert remote.links == ("https://acme.fr/annonces/2026/la-grande-nouvelle-du-jour",)
    assert is_same_post(APPROVED, remote, local_host="social.acme.fr")


def test_a_mention_of_another_server_is_not_our_post():
    content = MASTODON_CONTENT.replace("other.example", "evil.example")
    remote = read(mastodon_status(content, ["team@evil.example", "acme"]))
    assert shape_of(remote.text).skeleton == shape_of(APPROVED).skeleton
    assert not is_same_post(APPROVED, remote, local_host="social.acme.fr")


def test_a_link_elsewhere_is_not_our_post():
    content = MASTODON_CONTENT.replace('href="https://acme.fr/', 'href="https://evil.example/')
    remote = read(mastodon_status(content, ["team@other.example", "acme"]))
    assert not is_same_post(APPROVED, remote, local_host="social.acme.fr")


def test_other_text_is_not_our_post():
    content = MASTODON_CONTENT.replace("Bienvenue", "Bienvenüe")
    remote = read(mastodon_status(content, ["team@other.example", "acme"]))
    assert not is_same_post(APPROVED, remote, local_host="social.acme.fr")


def test_x_wrapped_links_and_escaped_entities_are_recognised():
    text = "Nouveau : https://t.co/AbC123xyZ &amp; #Lancement avec @acme_fr"
    remote = RemotePost(
        "1",
        text,
        datetime.now(UTC),
        None,
        mentions=("acme_fr",),
        tags=("Lancement",),
        links=("https://acme.fr/nouveau",),
    )
    approved = "Nouveau : https://acme.fr/nouveau & #Lancement avec @acme_fr"
    assert is_same_post(approved, remote)
    assert not is_same_post("Nouveau : https://acme.fr/autre & #Lancement avec @acme_fr", remote)


def test_bluesky_facets_are_read_and_compared():
    record = {
        "text": "Voir https://acme.fr/x #promo",
        "facets": [
            {
                "index": {"byteStart": 5, "byteEnd": 22},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://acme.fr/x"}],
            },
            {
                "index": {"byteStart": 23, "byteEnd": 29},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "promo"}, "junk"],
            },
            "junk",
        ],
    }
    found = facet_entities(record)
    assert found == {"links": ("https://acme.fr/x",), "tags": ("promo",)}
    remote = RemotePost("at://x", record["text"], datetime.now(UTC), None, **found)
    assert is_same_post("Voir https://acme.fr/x #promo", remote)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Deux  espaces\net une ligne", "Deux espaces et une ligne"),
        ("Café", "Cafe\u0301"),  # NFC
        ("Voir https://acme.fr/.", "Voir https://acme.fr."),
    ],
)
def test_whitespace_unicode_and_trailing_punctuation_are_normalised(ours, theirs):
    assert is_same_post(ours, RemotePost("1", theirs, datetime.now(UTC), None))


def test_malformed_structured_fields_are_left_out_not_trusted():
    status = mastodon_status(MASTODON_CONTENT, ["team@other.example"])
    status["mentions"].append("junk")
    status["tags"] = "junk"
    remote = read(status)
    assert remote.mentions == ("team@other.example",) and remote.tags == ()
