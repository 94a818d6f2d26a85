"""Bluesky rich-text link facets.

Bluesky shows a URL in a post as a link only when the record carries a facet
for it, and facet offsets count UTF-8 *bytes*, not characters: "café https://…"
starts the link at byte 6, character 5. Only explicit ``http(s)://`` URLs are
linked; bare domains are left as text rather than guessed at.
"""

from __future__ import annotations

import re
from typing import Any

LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"

_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?\"'"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def link_facets(text: str) -> list[dict[str, Any]]:
    """``app.bsky.richtext.facet`` entries with link features for URLs in ``text``."""
    facets = []
    for match in _URL.finditer(text):
        url = _trim(match.group())
        start = len(text[: match.start()].encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(url.encode("utf-8"))},
                "features": [{"$type": LINK, "uri": url}],
            }
        )
    return facets


def _trim(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from a URL's end."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last]):
            url = url[:-1]
        else:
            break
    return url


def facet_entities(record: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The links and tags a post record's facets declare (mentions name DIDs, not handles,
    so they are left out); features of another shape are ignored, not trusted."""
    facets = record.get("facets")
    features = [
        feature
        for facet in (facets if isinstance(facets, list) else [])
        if isinstance(facet, dict) and isinstance(facet.get("features"), list)
        for feature in facet["features"]
        if isinstance(feature, dict)
    ]

    def values(kind: str, field: str) -> tuple[str, ...]:
        picked = (f.get(field) for f in features if f.get("$type") == kind)
        return tuple(value for value in picked if isinstance(value, str) and value)

    return {"links": values(LINK, "uri"), "tags": values(TAG, "tag")}
