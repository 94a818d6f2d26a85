"""How a post will look on its account's platform, before it is sent.

Authors write one text for several networks; each counts and cuts differently. The preview
shows, per account, the text as far as the platform takes it (what lies beyond its limit is
marked as cut), the mentions and links it will turn into, the card of the first link and
the images in order. It is a view of the same limits the rules check (``count_length``),
so what the preview calls cut is what the ``platform_limits`` rule blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from postgate.services.server_limits import account_limits
from postgate.store.models import Account
from rules import PlatformLimits, count_length
from rules.links import find_links

MENTION_RE = re.compile(r"(?<![\w@])@\w+(?:@[\w-]+(?:\.[\w-]+)+)?")
FALLBACK = PlatformLimits(max_length=500, max_media=4)


@dataclass(frozen=True)
class Piece:
    """A run of the previewed text: ``kind`` is ``text``, ``mention`` or ``link``;
    ``cut`` when it lies beyond what the platform takes."""

    text: str
    kind: str = "text"
    cut: bool = False


@dataclass(frozen=True)
class Preview:
    account: str
    platform: str
    used: int
    limit: int
    pieces: list[Piece]
    link: dict[str, str] | None
    mentions: list[str]
    images: list[dict[str, Any]] = field(default_factory=list)
    max_media: int = 4

    @property
    def cut(self) -> bool:
        return self.used > self.limit

    @property
    def images_over(self) -> int:
        return max(0, len(self.images) - self.max_media)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "platform": self.platform,
            "used": self.used,
            "limit": self.limit,
            "cut": self.cut,
            "shown_text": "".join(p.text for p in self.pieces if not p.cut),
            "cut_text": "".join(p.text for p in self.pieces if p.cut),
            "link": self.link,
            "mentions": self.mentions,
            "images": [
                {"id": m["id"], "alt": m.get("alt") or "", "shown": i < self.max_media}
                for i, m in enumerate(self.images)
            ],
        }


def _fit(text: str, limits: PlatformLimits) -> int:
    """How many code points of ``text`` the platform takes (all of them when it fits)."""
    if count_length(text, limits)[0] <= limits.max_length:
        return len(text)
    low, high = 0, len(text)
    while low < high:  # the longest prefix that still fits
        middle = (low + high + 1) // 2
        if count_length(text[:middle], limits)[0] <= limits.max_length:
            low = middle
        else:
            high = middle - 1
    return low


def _marks(text: str) -> list[tuple[int, int, str]]:
    links = [(start, end, "link") for _, (start, end) in find_links(text)]
    taken = [range(s, e) for s, e, _ in links]
    mentions = [
        (m.start(), m.end(), "mention")
        for m in MENTION_RE.finditer(text)
        if not any(m.start() in r for r in taken)
    ]
    return sorted(links + mentions)


def _pieces(text: str, keep: int) -> list[Piece]:
    """``text`` split into plain runs, mentions and links, and at the platform's cut."""
    cuts = {0, len(text), keep}
    marks = _marks(text)
    for start, end, _ in marks:
        cuts |= {start, end}
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    found = []
    for start, end in pairwise(bounds):
        kind = next((k for s, e, k in marks if s <= start and end <= e), "text")
        found.append(Piece(text[start:end], kind, cut=start >= keep))
    return found


def link_card(text: str) -> dict[str, str] | None:
    """The card the platform draws for the first link: its address and its site."""
    for url, _ in find_links(text):
        address = url if "://" in url else f"https://{url}"
        host = urlsplit(address).hostname or url
        return {"url": url, "domain": host.removeprefix("www.")}
    return None


def preview(account: Account, text: str, media: list[dict[str, Any]] | None = None) -> Preview:
    """How ``text`` with ``media`` will look on ``account``'s platform."""
    limits = account_limits(account) or FALLBACK
    used, limit = count_length(text, limits)
    return Preview(
        account=account.name,
        platform=account.platform,
        used=used,
        limit=limit,
        pieces=_pieces(text, _fit(text, limits)),
        link=link_card(text),
        mentions=[m.group() for m in MENTION_RE.finditer(text)],
        images=list(media or []),
        max_media=limits.max_media,
    )
