"""Bluesky rich-text link facets.

Bluesky shows a URL in a post as a link only when the record carries a facet
for it, and facet offsets count UTF-8 *bytes*, not characters: "café https://…"
starts the link at byte 6, character 5. Only explicit ``http(s)://`` URLs are
linked; bare domains are left as text rather than guessed at.
"""

from __future__ import annotations

import re
from typing import Any

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
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
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
