"""Duplicates: a post nearly identical to one the account published recently.

Platforms penalise (and followers notice) repeated posts, and a duplicate is
often a post scheduled twice by mistake. Texts are compared as sets of word
pairs (Jaccard similarity of 2-word shingles) after folding case and accents,
so a changed emoji or comma does not hide a copy but reordered sentences count.
Set operations keep this cheap against many recent posts.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

from .base import FLAG, Context, Draft, Finding, Rule, Template
from .options import Options

# "%" kept away from letters: Babel's extractor would read "% s" as a %-format.
DUPLICATE = Template("Nearly the same as a recent post (similarity {percent}%): “{excerpt}”")

_MARKS_RE = re.compile(r"[\u0300-\u036f]")
_WORD_RE = re.compile(r"\w+")


@functools.lru_cache(maxsize=4096)
def shingles(text: str) -> frozenset[str]:
    """Pairs of consecutive lower-case, accent-free words (single words for a one-word text)."""
    bare = _MARKS_RE.sub("", unicodedata.normalize("NFKD", text)).casefold()
    words = _WORD_RE.findall(bare)
    if len(words) < 2:
        return frozenset(words)
    return frozenset(map(" ".join, itertools.pairwise(words)))


def similarity(a: str, b: str, at_least: float = 0.0) -> float:
    """Jaccard similarity of the two texts' shingles, 0 to 1.

    Returns 0 early when the sizes alone show the result must be below `at_least`.
    """
    sa, sb = shingles(a), shingles(b)
    small, large = sorted((len(sa), len(sb)))
    if not small or small < at_least * large:
        return 0.0
    common = len(sa & sb)
    return common / (len(sa) + len(sb) - common)


class DuplicatesRule(Rule):
    kind = "duplicates"
    default_severity = FLAG

    def __init__(self, rule_id: str, severity: str, threshold: float) -> None:
        super().__init__(rule_id, severity)
        self.threshold = threshold

    @classmethod
    def from_config(cls, rule_id: str, severity: str, opts: Options) -> DuplicatesRule:
        return cls(rule_id, severity, opts.number("threshold", 0.9, 0.0, 1.0))

    def evaluate(self, draft: Draft, context: Context) -> list[Finding]:
        for recent in context.recent_posts:
            score = similarity(draft.text, recent, self.threshold)
            if score >= self.threshold:
                excerpt = recent if len(recent) <= 60 else recent[:57].rstrip() + "…"
                return [self.finding(DUPLICATE, percent=round(score * 100), excerpt=excerpt)]
        return []
