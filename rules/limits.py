"""Platform limits: length as each platform counts it, and the number of media.

Platforms refuse an over-long post at publish time, long after review; catching
it here keeps the author in the loop. How a platform counts is data the caller
hands in with the context (:class:`~rules.base.PlatformLimits`, from Postgate's
platform registry): X weighs characters (most Latin ones 1, others and emoji 2)
and counts each URL as 23; Mastodon counts grapheme clusters with URLs as 23 and
remote mentions as the local part; Bluesky counts grapheme clusters of the raw
text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import replace

from .base import BLOCK, Context, Draft, Finding, PlatformLimits, Rule, Template
from .links import find_links
from .options import Options

UNKNOWN_PLATFORM = Template("Unknown platform '{platform}': limits cannot be checked.")
TOO_LONG = Template(
    "The post is {used} characters long as {platform} counts them; the limit is {limit}."
)
TOO_MANY_MEDIA = Template("The post has {count} media attachments; {platform} allows {limit}.")
NEEDS_MEDIA = Template("{platform} needs at least {limit} image(s) in every post.")
IMAGE_TOO_LARGE = Template(
    "Image {image} is {size} bytes; {platform} takes images of at most {limit} bytes."
)
_MENTION_RE = re.compile(r"(@\w+)@[\w.-]+\w")
# X counts code points in these ranges as 1, everything else as 2 (twitter-text v3).
_X_HEAVY_RE = re.compile("[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")


@functools.cache
def _cluster_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A regex for one grapheme cluster: a base character plus whatever attaches to it.

    An approximation of UAX #29 without extra packages: combining marks,
    variation selectors, emoji skin tones and tags extend the cluster, a zero
    width joiner glues the next character on, regional indicators pair up into
    flags, and CR LF is one. Built once, from the Unicode database. The second
    regex finds any character that could join a cluster, for a fast path.
    """
    ranges: list[list[int]] = []
    for cp in range(0x300, 0x30000):
        if unicodedata.category(chr(cp)) in ("Mn", "Me", "Mc"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    extra = [(0xFE00, 0xFE0F), (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F), (0xE0100, 0xE01EF)]
    ranges.extend([list(r) for r in extra])
    extend = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    cluster = re.compile(rf"\r\n|[\U0001F1E6-\U0001F1FF]{{2}}|.(?:[{extend}]|\u200d.)*", re.DOTALL)
    # Checked on every post: BMP-only classes compile to a bitmap, so keep astral
    # characters (emoji, SMP marks) in a single range of their own.
    bmp = "".join(
        f"{re.escape(chr(a))}-{re.escape(chr(min(b, 0xFFFF)))}" for a, b in ranges if a <= 0xFFFF
    )
    joiner = re.compile(rf"[{bmp}\u200d\r]|[\U00010000-\U0010FFFF]")
    return cluster, joiner


def graphemes(text: str) -> list[str]:
    """The user-perceived characters of `text` (approximate UAX #29 clusters)."""
    return _cluster_regexes()[0].findall(unicodedata.normalize("NFC", text))


def _grapheme_count(text: str) -> int:
    if text.isascii():
        return len(text) - text.count("\r\n")
    text = unicodedata.normalize("NFC", text)
    if not _cluster_regexes()[1].search(text):
        return len(text)  # every code point stands alone
    return len(graphemes(text))


def _x_weight(cluster: str) -> int:
    cp = ord(cluster[0])
    if cp >= 0x1F000 or "\u200d" in cluster or "\ufe0f" in cluster:
        return 2  # an emoji, however many code points it is made of
    return len(cluster) + len(_X_HEAVY_RE.findall(cluster))


def _x_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    if not _cluster_regexes()[1].search(text):
        return len(text) + len(_X_HEAVY_RE.findall(text))
    return sum(_x_weight(c) for c in graphemes(text))


def _replace_urls(text: str, schemes_only: bool) -> tuple[str, int]:
    """The text without its links, and how many there were.

    X shortens bare domains too; Mastodon only links with a scheme.
    """
    links = [link for link in find_links(text) if not schemes_only or "://" in link[0]]
    parts, last = [], 0
    for _, (start, end) in links:
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return "".join(parts), len(links)


def count_length(text: str, limits: PlatformLimits) -> tuple[int, int]:
    """(characters used, limit) as the platform of ``limits`` counts; for live counters too."""
    urls = 0
    if limits.url_length is not None:
        text, urls = _replace_urls(text, schemes_only=not limits.bare_domains)
    if limits.local_mentions:
        text = _MENTION_RE.sub(r"\1", text)
    used = _x_length(text) if limits.weighted else _grapheme_count(text)
    return used + urls * (limits.url_length or 0), limits.max_length


class PlatformLimitsRule(Rule):
    """Options `max_length` and `max_media` (tables by platform name) override the
    platform's own limits, which come with the context."""

    kind = "platform_limits"
    default_severity = BLOCK

    def __init__(
        self, rule_id: str, severity: str, lengths: dict[str, int], media: dict[str, int]
    ) -> None:
        super().__init__(rule_id, severity)
        self.lengths = dict(lengths)
        self.media = dict(media)

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> PlatformLimitsRule:
        return cls(rule_id, severity, opts.int_table("max_length"), opts.int_table("max_media"))

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        if context.limits is None:
            return [self.finding(UNKNOWN_PLATFORM, platform=draft.platform)]
        limits = replace(
            context.limits,
            max_length=self.lengths.get(draft.platform, context.limits.max_length),
            max_media=self.media.get(draft.platform, context.limits.max_media),
        )
        findings = []
        used, limit = count_length(draft.text, limits)
        if used > limit:
            findings.append(self.finding(TOO_LONG, used=used, platform=draft.platform, limit=limit))
        if draft.media_count > limits.max_media:
            findings.append(
                self.finding(
                    TOO_MANY_MEDIA,
                    count=draft.media_count,
                    platform=draft.platform,
                    limit=limits.max_media,
                )
            )
        if draft.media_count < limits.min_media:
            findings.append(
                self.finding(NEEDS_MEDIA, platform=draft.platform, limit=limits.min_media)
            )
        largest = limits.max_image_bytes
        for image in draft.images:
            if largest is not None and image.size > largest:
                found = self.finding(
                    IMAGE_TOO_LARGE,
                    image=image.position,
                    size=image.size,
                    platform=draft.platform,
                    limit=largest,
                )
                findings.append(replace(found, image=image.position))
        return findings
