"""The platform preview cuts where the ``platform_limits`` rule counts, marks mentions and
links, and draws the first link's card (no store, no HTTP)."""

from __future__ import annotations

from types import SimpleNamespace

from postgate.services.preview import link_card, preview
from postgate.services.server_limits import account_limits
from rules import count_length


def account(platform: str, name: str = "acme") -> SimpleNamespace:
    return SimpleNamespace(name=name, platform=platform, server_limits=None)


def test_a_text_that_fits_is_not_cut():
    shown = preview(account("mastodon"), "Bonjour à tous").to_dict()
    assert not shown["cut"] and shown["cut_text"] == "" and shown["shown_text"] == "Bonjour à tous"


def test_the_cut_is_where_the_platform_stops_counting():
    text = "é" * 100 + "😀" * 200  # X weighs each emoji 2
    found = preview(account("x"), text)
    shown = found.to_dict()
    limits = account_limits(account("x"))
    assert shown["cut"] and shown["shown_text"] + shown["cut_text"] == text
    assert count_length(shown["shown_text"], limits)[0] <= 280
    assert count_length(shown["shown_text"] + shown["cut_text"][:2], limits)[0] > 280


def test_links_count_as_the_platform_counts_them():
    text = "a" * 250 + " https://exemple.fr/" + "b" * 100
    shown = preview(account("x"), text).to_dict()
    assert not shown["cut"] and shown["used"] == 250 + 1 + 23


def test_mentions_and_link_card():
    found = preview(
        account("mastodon"), "Merci @marie@exemple.social et @jo, voir www.exemple.fr !"
    )
    kinds = [(p.kind, p.text) for p in found.pieces if p.kind != "text"]
    assert kinds == [
        ("mention", "@marie@exemple.social"),
        ("mention", "@jo"),
        ("link", "www.exemple.fr"),
    ]
    assert found.link == {"url": "www.exemple.fr", "domain": "exemple.fr"}
    assert link_card("pas de lien, jo@example.org") is None


def test_images_beyond_the_platforms_count_are_not_shown():
    images = [{"id": i, "alt": f"image {i}"} for i in range(1, 7)]
    shown = preview(account("x"), "Photos", images).to_dict()
    assert [m["shown"] for m in shown["images"]] == [True] * 4 + [False] * 2
