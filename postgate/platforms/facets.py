"""Bluesky rich-text facets: links, mentions and hashtags.

Bluesky shows a URL, a mention or a hashtag as such only when the record carries a facet
for it (https://docs.bsky.app/docs/advanced-guides/post-richtext), and facet offsets count
UTF-8 *bytes*, not characters: "café https://…" starts the link at byte 6, character 5. Only
explicit ``http(s)://`` URLs are linked; bare domains are left as text rather than guessed
at. A mention ``@handle`` names the account by its DID, so the handle is resolved first
(``resolver``); one that does not resolve stays plain text, as Bluesky's own client does. A
hashtag is ``#`` and up to 64 characters, not all digits, trailing punctuation excluded.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
MENTION = "app.bsky.richtext.facet#mention"
_HANDLE = re.compile(
    r"(?:(?<=^)|(?<=[\s(]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_HASHTAG = re.compile(r"(?:(?<=^)|(?<=\s))[#\uff03]([^\s\u00ad\u2060\u200a-\u200d\u20e2]+)")
MAX_TAG = 64

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


def mention_handles(text: str) -> list[str]:
    """The handles ``text`` mentions, in order, each once (to resolve before publishing)."""
    return list(dict.fromkeys(m.group(1).lower() for m in _HANDLE.finditer(text)))


def rich_text_facets(text: str, dids: dict[str, str]) -> list[dict[str, Any]]:
    """Every facet of ``text``, by position: links, mentions whose handle is in ``dids``
    (handle to DID), and hashtags."""
    facets = link_facets(text)
    for match in _HANDLE.finditer(text):
        did = dids.get(match.group(1).lower())
        if did:
            facets.append(_facet(text, match.start(), match.end(), {"$type": MENTION, "did": did}))
    for match in _HASHTAG.finditer(text):
        tag = _tag(match.group(1))
        if tag:
            end = match.start(1) + len(tag)
            facets.append(_facet(text, match.start(), end, {"$type": TAG, "tag": tag}))
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    byte_start = len(text[:start].encode("utf-8"))
    byte_end = byte_start + len(text[start:end].encode("utf-8"))
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


def _tag(raw: str) -> str | None:
    """The tag Bluesky's client makes of ``#raw``: trailing punctuation off, not all digits,
    at most 64 characters; None when no tag is left."""
    tag = raw
    while tag and unicodedata.category(tag[-1]).startswith("P"):
        tag = tag[:-1]
    if tag.startswith("\ufe0f") or not tag or len(tag) > MAX_TAG:
        return None
    if all(c.isdigit() or unicodedata.category(c).startswith("P") for c in tag):
        return None
    return tag


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
